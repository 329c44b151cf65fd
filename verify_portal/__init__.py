"""The consumer-facing verify portal: server-rendered pages for the codes on products (GS1 Digital Link URIs),
whose history the consumer's own browser then verifies against the log (``static/verify.js``).

``portal_route_handlers(PortalSettings(...))`` gives the routes that ``traceledger`` serves beside the API.
"""

from verify_portal.routes import PortalSettings, portal_route_handlers

__all__ = ["PortalSettings", "portal_route_handlers"]
