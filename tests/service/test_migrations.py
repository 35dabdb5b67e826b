"""The migrations build exactly the schema the models describe (Alembic's own comparison), on SQLite and on
PostgreSQL, and step down again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.db import make_engine
from service.migrate import alembic_config, upgrade
from service.models import Base
from service.settings import Settings


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_the_models(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = request.getfixturevalue("make_database")() if backend == "postgresql" else ""
    settings = Settings(home=tmp_path, database_url=url)
    upgrade(settings)
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        command.downgrade(alembic_config(settings), "base")
        with engine.connect() as connection:
            assert set(engine.dialect.get_table_names(connection)) <= {"alembic_version"}
    finally:
        engine.dispose()
