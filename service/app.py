"""The FastAPI application factory: the JSON API under /api/v1, /healthz and the server-rendered pages."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

import evaluators
from service.api import errors
from service.api.deps import viewer_dep
from service.api.routes import catalog, evaluations, health, leaderboard, submissions
from service.settings import get_settings
from service.web import compare, evaluation, static_files
from service.web import leaderboard as board

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    # Every endpoint checks a token that is sent (401 says why it is refused), even where none is needed.
    router = APIRouter(prefix=API_PREFIX, dependencies=[Depends(viewer_dep)])
    for module in (submissions, evaluations, leaderboard, catalog):
        router.include_router(module.router)
    return router


def pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for module in (board, evaluation, compare, static_files):
        router.include_router(module.router)
    return router


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # The API process holds torch and the model registry: some 400,000 long-lived objects that every full
    # garbage collection walked again, pausing every request for 100-200 ms under load. Frozen once the
    # process has started, they are skipped.
    gc.collect()
    gc.freeze()
    yield


def create_app() -> FastAPI:
    get_settings().ensure_storage()
    app = FastAPI(title="cpbench", version=evaluators.__version__, lifespan=lifespan,
                  description="Robustness evaluation of image classifiers on ImageNet-C and ImageNet-P.")
    errors.install(app)
    app.include_router(api_router())
    app.include_router(health.router)
    app.include_router(pages_router())
    return app
