"""Fill sao's Russian catalogue with ours.

sao 8.0.11 ships ``locale/ru.json`` with every string untranslated, so its
chrome (login, toolbar, filters, «Processing») stays English. Our catalogue,
``config/sao-ru.json`` ({msgid: translation, or the three Russian plural
forms}), fills what sao leaves empty; sao's own translations win where it has
them. The catalogue as sao shipped it is kept beside it (``ru.json.sao``) and
every run merges from that copy, so the merge can be repeated and follows
changes of our file.

    python3 scripts/sao_locale.py config/sao-ru.json var/sao/package/locale
"""
import json
import os
import shutil
import sys


def merge(ours, shipped):
    "shipped's catalogue (sao's JSON format) completed with ours"
    result = dict(shipped)
    header = dict(result.get('', {}))
    for key, value in ours.get('', {}).items():
        header.setdefault(key, value)
    result[''] = header
    for msgid, translation in ours.items():
        if not msgid:
            continue
        entry = shipped.get(msgid)
        if entry is None:
            continue  # a string this sao does not use
        if any(entry[1:]):
            continue  # sao translates it
        if isinstance(translation, list):
            result[msgid] = [entry[0], *translation]
        else:
            result[msgid] = [entry[0], translation]
    return result


def main(ours_path, locale_dir, lang='ru'):
    target = os.path.join(locale_dir, f'{lang}.json')
    pristine = target + '.sao'
    if not os.path.exists(pristine):
        shutil.copyfile(target, pristine)
    with open(ours_path, encoding='utf-8') as fp:
        ours = json.load(fp)
    with open(pristine, encoding='utf-8') as fp:
        shipped = json.load(fp)
    result = merge(ours, shipped)
    empty = [k for k, v in result.items() if k and not any(v[1:])]
    tmp = target + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as fp:
        json.dump(result, fp, ensure_ascii=False)
    os.replace(tmp, target)
    print(f"{len(result) - 1 - len(empty)} strings translated, "
        f"{len(empty)} left empty")
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
