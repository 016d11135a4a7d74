"""Recipients: Russian names (Tatar ones at Казань) and +7 9xx mobile
phones in the formats suppliers send"""
from .common import _digits


SURNAMES = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков "
    "Фёдоров Морозов Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов "
    "Степанов Николаев Орлов Андреев Макаров Никитин Захаров Зайцев "
    "Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин "
    "Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов "
    "Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов "
    "Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов "
    "Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов "
    "Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов "
    "Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов "
    "Щербаков Назаров Калинин Исаев Быков Маслов Родионов Коновалов "
    "Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров "
    "Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев Ермаков "
    "Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов "
    "Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов "
    "Кондратьев Бирюков Горбунов Анисимов Еремин Тихомиров Галкин Лукьянов "
    "Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов "
    "Князев Цветков Левин Митрофанов Воронцов Капустин").split()
SURNAMES_TATAR = (
    "Хабибуллин Галиев Сафин Закиров Гарипов Нуриев Ахметов Валиев "
    "Шарипов Мухаметшин Файзуллин Гайнуллин Исмагилов Зарипов Камалов "
    "Садыков Хасанов Гильмутдинов Юсупов Латыпов").split()
SURNAMES_FIXED = "Шевченко Ковальчук Ким Бондаренко Ткаченко Цой".split()
MALE_NAMES = (
    "Александр Дмитрий Максим Сергей Андрей Алексей Артём Илья Кирилл "
    "Михаил Никита Матвей Роман Егор Арсений Иван Денис Евгений Даниил "
    "Тимофей Владислав Игорь Владимир Павел Руслан Марк Константин Тимур "
    "Олег Ярослав Антон Николай Глеб Вадим Степан Юрий Богдан Артур "
    "Семён Виктор Григорий Фёдор Леонид").split()
MALE_NAMES_TATAR = "Айдар Рустам Ильдар Марат Ринат Азат Ренат Булат".split()
FEMALE_NAMES = (
    "Анастасия Мария Дарья Анна Елизавета Полина Виктория Екатерина Софья "
    "Александра Ксения Алиса Вероника Алёна Ольга Наталья Татьяна Ирина "
    "Елена Юлия Светлана Марина Валерия Кристина Диана Алина Ульяна "
    "Варвара Людмила Галина Надежда Евгения Маргарита Оксана Вера").split()
FEMALE_NAMES_TATAR = (
    "Гульнара Альбина Лейсан Эльвира Алсу Гузель Резеда").split()
PATRONYMICS = [
    ("Александрович", "Александровна"), ("Дмитриевич", "Дмитриевна"),
    ("Сергеевич", "Сергеевна"), ("Андреевич", "Андреевна"),
    ("Алексеевич", "Алексеевна"), ("Игоревич", "Игоревна"),
    ("Владимирович", "Владимировна"), ("Павлович", "Павловна"),
    ("Николаевич", "Николаевна"), ("Викторович", "Викторовна"),
    ("Олегович", "Олеговна"), ("Юрьевич", "Юрьевна"),
    ("Евгеньевич", "Евгеньевна"), ("Михайлович", "Михайловна"),
    ("Иванович", "Ивановна"), ("Петрович", "Петровна"),
    ("Анатольевич", "Анатольевна"), ("Геннадьевич", "Геннадьевна"),
    ("Валерьевич", "Валерьевна"), ("Романович", "Романовна"),
    ("Константинович", "Константиновна"), ("Максимович", "Максимовна"),
    ("Ильич", "Ильинична"), ("Фёдорович", "Фёдоровна"),
    ]
PATRONYMICS_TATAR = [
    ("Ринатович", "Ринатовна"), ("Маратович", "Маратовна"),
    ("Рашидович", "Рашидовна"), ("Ильдарович", "Ильдаровна"),
    ("Айратович", "Айратовна"),
    ]


class People:
    "Recipients: plausible ФИО and mobile phones, some with many parcels"

    def __init__(self, rng):
        self.rng = rng
        self.pools = {}

    def person(self, tatar=False):
        rng = self.rng
        female = rng.random() < 0.58
        if tatar and rng.random() < 0.5:
            surname = rng.choice(SURNAMES_TATAR)
            first = rng.choice(
                FEMALE_NAMES_TATAR if female else MALE_NAMES_TATAR)
            patronymic = rng.choice(PATRONYMICS_TATAR)[female]
        else:
            r = rng.random()
            surname = rng.choice(
                SURNAMES_FIXED if r < 0.05 else SURNAMES)
            first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
            patronymic = rng.choice(PATRONYMICS)[female]
        if female and surname[-2:] in {'ов', 'ев', 'ёв', 'ин'}:
            surname += 'а'
        r = rng.random()
        if r < 0.8:
            name = f"{surname} {first} {patronymic}"
        elif r < 0.9:
            name = f"{first} {surname}"
        elif r < 0.95:
            name = f"{surname} {first}"
        else:
            name = f"{surname} {first} {patronymic}".upper()
        return name, self.phone()

    def phone(self):
        rng = self.rng
        code = rng.choice(['915', '916', '917', '925', '926', '903', '905',
                '909', '912', '913', '919', '922', '927', '937', '950',
                '951', '953', '960', '961', '977', '985', '987', '999'])
        number = _digits(rng, 7)
        # the formats suppliers send; the parcel normalizes to +79XXXXXXXXX
        style = rng.random()
        if style < 0.5:
            return f'+7{code}{number}'
        elif style < 0.7:
            return f'8{code}{number}'
        elif style < 0.9:
            return (f'+7 ({code}) {number[:3]}-{number[3:5]}-'
                f'{number[5:]}')
        return f'8 {code} {number[:3]} {number[3:5]} {number[5:]}'

    def recipient(self, point_code, expected_parcels):
        "A recipient at the point: about 2.5 parcels per person"
        pool = self.pools.get(point_code)
        if pool is None:
            size = max(15, int(expected_parcels / 2.5))
            pool = self.pools[point_code] = [
                self.person(tatar=point_code.startswith('KZN'))
                for _ in range(min(size, 50000))]
        # a few regular customers get many parcels
        rng = self.rng
        if rng.random() < 0.15:
            return pool[int(rng.random() ** 3 * len(pool))]
        return rng.choice(pool)
