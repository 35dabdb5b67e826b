"""Alembic environment and versions for the service's tables (applied by `cpbench db upgrade` and `serve`)."""
