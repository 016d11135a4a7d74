# Classes are registered in tryton.cfg (Tryton 8.0); the connectors
# register themselves by name when their file is imported.
from . import connector_dpd, connector_file, connector_hermes
from . import connector_boxberry, connector_pickpoint  # noqa: F401
from . import connector_yandex  # noqa: F401
from . import connector_cdek  # noqa: F401
# importing the route modules registers their routes on trytond's app
from . import routes_cdek_webhook, routes_supplier_api  # noqa: F401

__all__ = [connector_dpd, connector_file, connector_hermes]
