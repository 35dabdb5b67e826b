"""Server-rendered pages (Jinja2, inline SVG charts, no front-end build): leaderboards, evaluations and
comparisons, reading the same queries as the JSON API. `router` holds them all; the app factory
(service.app) mounts it."""

from fastapi import APIRouter

from service.web import compare, evaluation, leaderboard, static_files

router = APIRouter(include_in_schema=False)
for _module in (leaderboard, evaluation, compare, static_files):
    router.include_router(_module.router)
