"""Moving records from multipoint_suppliers to a module split from it.

Settlements (multipoint_settlement) and the supplier portal
(multipoint_portal) were part of multipoint_suppliers. A database activated
with that layout owns their menus, views, actions, access rights and
messages under the module multipoint_suppliers. When such a database is
upgraded with

    trytond-admin -d DB -u multipoint_suppliers multipoint_settlement \\
        multipoint_portal --activate-dependencies

trytond loads multipoint_suppliers first: its XML no longer defines those
records, so they are on its list of leftovers to delete, which trytond
deletes only after every module is loaded (trytond.convert.post_import, for
the records of ir.model.data whose module is still multipoint_suppliers).
In between, each new module registers its classes: move_records(), called
from the __register__ of one of them, gives the records the new module
defines in its XML to the new module in ir.model.data (their XML ids), so
the new module's XML updates them instead of creating copies and nothing
is left to delete. The rows that say which module a model, a field, a view,
a report or a translation belongs to follow.

Nothing happens on a database that never had the old layout.
"""
import os
from xml.etree import ElementTree

from sql import Literal
from sql.operators import Concat

from trytond.modules import get_module_info
from trytond.pool import Pool
from trytond.transaction import Transaction

OLD_MODULE = 'multipoint_suppliers'
# as trytond.ir.translation.Translation.extra_model_data
ACTIONS = {'ir.action.report', 'ir.action.act_window', 'ir.action.wizard',
    'ir.action.url'}


def xml_ids(module):
    "The XML ids the module's XML files define"
    info = get_module_info(module)
    ids = set()
    for filename in info.get('xml', []):
        tree = ElementTree.parse(os.path.join(info['directory'], filename))
        for element in tree.iter():
            if element.tag in {'record', 'menuitem'}:
                fs_id = element.get('id')
                if fs_id and '.' not in fs_id:
                    ids.add(fs_id)
    return ids


def move_records(module, models=(), fields=(), old_module=OLD_MODULE):
    """Give to module what old_module owns of it: the records of its XML
    ids, the models (names) it defines and the fields ((model, field))
    it adds to the models of other modules"""
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    Model = pool.get('ir.model')
    ModelField = pool.get('ir.model.field')
    Translation = pool.get('ir.translation')
    View = pool.get('ir.ui.view')
    ActionReport = pool.get('ir.action.report')
    cursor = Transaction().connection.cursor()
    model_data = ModelData.__table__()
    ir_model = Model.__table__()
    ir_model_field = ModelField.__table__()
    translation = Translation.__table__()
    view = View.__table__()
    report = ActionReport.__table__()

    fs_ids = sorted(xml_ids(module))
    moved = []
    for i in range(0, len(fs_ids), 500):
        cursor.execute(*model_data.select(
                model_data.id, model_data.model, model_data.db_id,
                where=(model_data.module == old_module)
                & model_data.fs_id.in_(fs_ids[i:i + 500])))
        moved.extend(cursor)
    models = list(models)
    if not moved:
        return False

    for i in range(0, len(moved), 500):
        chunk = moved[i:i + 500]
        cursor.execute(*model_data.update(
                [model_data.module], [module],
                where=model_data.id.in_([m[0] for m in chunk])))
    by_model = {}
    for _, model, db_id in moved:
        if db_id is not None:
            by_model.setdefault(model, []).append(db_id)

    # which module a view's file, a report's file belong to
    for Table, model in [(view, 'ir.ui.view'), (report, 'ir.action.report')]:
        ids = by_model.get(model, [])
        if ids:
            cursor.execute(*Table.update([Table.module], [module],
                    where=Table.id.in_(ids)
                    & (Table.module == old_module)))

    # the models the module defines and the fields it adds
    if models:
        cursor.execute(*ir_model.update([ir_model.module], [module],
                where=ir_model.name.in_(models)
                & (ir_model.module == old_module)))
        cursor.execute(*ir_model_field.update(
                [ir_model_field.module], [module],
                where=ir_model_field.model.in_(models)
                & (ir_model_field.module == old_module)))
    for model, field in fields:
        cursor.execute(*ir_model_field.update(
                [ir_model_field.module], [module],
                where=(ir_model_field.model == model)
                & (ir_model_field.name == field)
                & (ir_model_field.module == old_module)))

    # the translations of all these
    names = ['%s,%s' % f for f in fields]
    if names:
        cursor.execute(*translation.update(
                [translation.module], [module],
                where=(translation.module == old_module)
                & translation.type.in_(['field', 'help', 'selection'])
                & translation.name.in_(names)))
    for model in models:
        cursor.execute(*translation.update(
                [translation.module], [module],
                where=(translation.module == old_module)
                & (((translation.type == 'model')
                        & (translation.name == model + ',string'))
                    | (translation.type.in_(['field', 'help', 'selection'])
                        & translation.name.like(
                            Concat(model, Literal(',%'))))
                    | ((translation.type == 'view')
                        & (translation.name == model)))))
    for model, ids in by_model.items():
        prefixes = [model]
        if model in ACTIONS:
            # their names are translated on ir.action, of the same id
            prefixes.append('ir.action')
        for prefix in prefixes:
            for i in range(0, len(ids), 500):
                cursor.execute(*translation.update(
                        [translation.module], [module],
                        where=(translation.module == old_module)
                        & (translation.type == 'model')
                        & translation.name.like(prefix + ',%')
                        & translation.res_id.in_(ids[i:i + 500])))
    ModelData._get_id_cache.clear()
    return True
