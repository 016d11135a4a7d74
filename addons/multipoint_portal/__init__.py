# The supplier portal: web users linked to a supplier and the single-page
# app with its JSON API. Classes are registered in tryton.cfg (Tryton 8.0);
# the routes are registered when their files are imported.
from . import (  # noqa: F401 (routes)
    routes_portal, routes_portal_claims, routes_portal_tickets)
