"""Run the schema migrations programmatically (no alembic.ini needed).

``upgrade(url)`` brings a database to the newest schema; ``schema_differences``
tells whether a database's schema matches the models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, delete, inspect, text

from .db import make_engine
from .models import metadata
from .partitions import is_partition_name

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


def make_config(url: str | None = None) -> Config:
    """Return an alembic Config for this package's migrations and ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["url"] = str(url)
    return config


def _run(target: str | Engine, action, revision: str) -> None:
    if isinstance(target, Engine):
        # Run on the caller's engine so its pooled connections see the new schema.
        with target.begin() as connection:
            config = make_config()
            config.attributes["connection"] = connection
            action(config, revision)
    else:
        action(make_config(target), revision)


def upgrade(target: str | Engine, revision: str = "head") -> None:
    """Migrate the database (a URL or an Engine) up to ``revision`` (default: newest)."""
    _run(target, command.upgrade, revision)


def downgrade(target: str | Engine, revision: str) -> None:
    """Migrate the database (a URL or an Engine) down to ``revision`` (``"base"`` drops everything)."""
    _run(target, command.downgrade, revision)


def head_revision() -> str:
    """The newest revision of this package's migrations (what ``upgrade`` brings a database to); cached."""
    global _HEAD
    if _HEAD is None:
        from alembic.script import ScriptDirectory
        _HEAD = ScriptDirectory.from_config(make_config()).get_current_head()
    return _HEAD


_HEAD: str | None = None


def current_revision(url: str) -> str | None:
    """Return the revision the database at ``url`` is at, or None if unmigrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's filter: the decision log's partitions (PostgreSQL) are not tables of the models."""
    return not (type_ == "table" and is_partition_name(name))


def schema_differences(url: str) -> list[Any]:
    """Return alembic's differences between the database at ``url`` and the models (empty: in sync)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def drop_schema(engine: Engine) -> None:
    """Drop every OCMS table and the alembic version table, if present (tests, resets)."""
    metadata.drop_all(engine, checkfirst=True)
    if inspect(engine).has_table(VERSION_TABLE):
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))


def delete_all_rows(engine: Engine) -> None:
    """Delete every row of every OCMS table, children first, keeping the schema (tests)."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))
