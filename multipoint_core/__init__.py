# Classes are registered in tryton.cfg; importing the route modules
# registers the operator JSON API and the tracking page on trytond's app.
from . import routes, tracking
from . import routes_inventory  # noqa: F401

__all__ = [routes, tracking]
