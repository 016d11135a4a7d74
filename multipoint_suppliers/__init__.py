# Classes are registered in tryton.cfg (Tryton 8.0); the connectors
# register themselves by name when their file is imported.
from . import connector_dpd, connector_file, connector_hermes
from . import connector_boxberry, connector_pickpoint  # noqa: F401
from . import connector_yandex  # noqa: F401
from . import connector_cdek, cdek_webhook  # noqa: F401 (connector, route)
from . import supplier_api  # noqa: F401 (routes)

__all__ = [connector_dpd, connector_file, connector_hermes]
