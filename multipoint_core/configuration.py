import secrets

from trytond.model import ModelSingleton, ModelSQL, ModelView, fields


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Multipoint Configuration"
    __name__ = 'multipoint.configuration'
    code_length = fields.Integer(
        "Issue Code Length", required=True,
        domain=[('code_length', '>=', 4), ('code_length', '<=', 10)])
    code_max_attempts = fields.Integer(
        "Wrong Codes Before Lock", required=True,
        domain=[('code_max_attempts', '>', 0)])
    code_lock_minutes = fields.Integer(
        "Code Lock (minutes)", required=True,
        domain=[('code_lock_minutes', '>', 0)])
    reminder_days = fields.Integer(
        "Reminder Before Deadline (days)", required=True,
        domain=[('reminder_days', '>=', 0)])
    reminder_hours = fields.Integer(
        "Reminder Before Storage Ends (hours)", required=True,
        domain=[('reminder_hours', '>', 0)],
        help="For the parcels whose storage ends at an hour (a limit in "
        "hours): how long before that moment the reminder goes out.")
    code_secret = fields.Char(
        "Code Secret", readonly=True,
        help="Key of the hash under which issue codes are stored.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.code_secret.states = {'invisible': True}

    @staticmethod
    def default_code_length():
        return 6

    @staticmethod
    def default_code_max_attempts():
        return 5

    @staticmethod
    def default_code_lock_minutes():
        return 15

    @staticmethod
    def default_reminder_days():
        return 1

    @staticmethod
    def default_reminder_hours():
        return 24

    @classmethod
    def get_config(cls):
        "The configuration, with its secret created on first use"
        config = cls(1)
        if not config.code_secret:
            config.code_secret = secrets.token_hex(32)
            config.save()
        return config
