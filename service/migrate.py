"""Applies the Alembic migrations in `migrations/` to the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from service.settings import Settings, get_settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"  # installed beside the service package


def alembic_config(settings: Settings | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", (settings or get_settings()).database_url.replace("%", "%%"))
    return config


def upgrade(settings: Settings | None = None) -> None:
    command.upgrade(alembic_config(settings), "head")
