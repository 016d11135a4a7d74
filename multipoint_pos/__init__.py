# Classes are registered in tryton.cfg (Tryton 8.0).
# Importing the route module registers the workplace part of the operator
# JSON API (shifts, payment at issue) on trytond's app.
from . import routes  # noqa: F401
from . import routes_screen  # noqa: F401
