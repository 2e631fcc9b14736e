"""``citecheck serve``: the HTTP edge a CMS calls before publishing (needs the [server] extra)."""

from .app import Service, ServiceSettings, create_app

__all__ = ["Service", "ServiceSettings", "create_app"]
