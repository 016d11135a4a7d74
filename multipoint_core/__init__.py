# Classes are registered in tryton.cfg; importing the route modules
# registers the operator JSON API and the tracking page on trytond's app.
from . import routes_desk, routes_inventory, routes_tracking  # noqa: F401
