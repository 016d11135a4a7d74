# Classes are registered in tryton.cfg (Tryton 8.0); importing the route
# module registers the tickets and tasks part of the operator JSON API.
from . import routes_tickets  # noqa: F401
