"""The FastAPI application factory: the JSON API under /api/v1, /healthz and the server-rendered pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

import evaluators
from service.api import errors
from service.api.deps import viewer_dep
from service.api.routes import catalog, evaluations, health, leaderboard, submissions
from service.settings import get_settings
from service.web import router as pages

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    # Every endpoint checks a token that is sent (401 says why it is refused), even where none is needed.
    router = APIRouter(prefix=API_PREFIX, dependencies=[Depends(viewer_dep)])
    for module in (submissions, evaluations, leaderboard, catalog):
        router.include_router(module.router)
    return router


def create_app() -> FastAPI:
    get_settings().ensure_storage()
    app = FastAPI(title="cpbench", version=evaluators.__version__,
                  description="Robustness evaluation of image classifiers on ImageNet-C and ImageNet-P.")
    errors.install(app)
    app.include_router(api_router())
    app.include_router(health.router)
    app.include_router(pages)
    return app
