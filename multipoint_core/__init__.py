# Classes are registered in tryton.cfg; importing routes registers the
# operator JSON API on trytond's WSGI app.
from . import routes

__all__ = [routes]
