# Classes are registered in tryton.cfg (Tryton 8.0).
# Importing the route modules registers the workplace part of the operator
# JSON API (shifts, payment at issue) and the operator screen on trytond's
# app.
from . import routes_payment, routes_screen, routes_shift  # noqa: F401
