"""The forecasters' dashboard: server-rendered pages under ``/dashboard`` (docs/dashboard.md).

``app.include_router(router(ctx))`` adds the pages to an app made by :func:`api.app.create_app`;
``mount_static(app)`` serves the stylesheet, script and the vendored uPlot they use.
"""

from api.dashboard.routes import router
from api.dashboard.static import mount_static

__all__ = ["mount_static", "router"]
