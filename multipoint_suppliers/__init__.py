# Classes are registered in tryton.cfg (Tryton 8.0); the connectors
# register themselves by name when their file is imported.
from . import connector_dpd, connector_file, connector_hermes

__all__ = [connector_dpd, connector_file, connector_hermes]
