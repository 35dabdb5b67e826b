"""The FastAPI application factory: the JSON API under /api/v1, /healthz, and room for more routers (the
server-rendered pages mount theirs through `extra_routers`)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends, FastAPI

import evaluators
from service.api import errors
from service.api.deps import viewer_dep
from service.api.routes import catalog, evaluations, health, leaderboard, submissions
from service.settings import get_settings

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    # Every endpoint checks a token that is sent (401 says why it is refused), even where none is needed.
    router = APIRouter(prefix=API_PREFIX, dependencies=[Depends(viewer_dep)])
    for module in (submissions, evaluations, leaderboard, catalog):
        router.include_router(module.router)
    return router


def create_app(extra_routers: Sequence[APIRouter] = ()) -> FastAPI:
    get_settings().ensure_storage()
    app = FastAPI(title="cpbench", version=evaluators.__version__,
                  description="Robustness evaluation of image classifiers on ImageNet-C and ImageNet-P.")
    errors.install(app)
    app.include_router(api_router())
    app.include_router(health.router)
    for router in extra_routers:
        app.include_router(router)
    return app
