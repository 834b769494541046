"""Alembic environment of the OCMS schema.

The database comes from, in order: a connection passed in
``config.attributes["connection"]``, a URL in ``config.attributes["url"]``,
the ``sqlalchemy.url`` option, or ``$OCMS_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context

from repository.db import database_url, make_engine, normalise_url
from repository.models import metadata
from repository.partitions import is_partition_name

config = context.config


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or database_url()
    if not url:
        raise RuntimeError("no database URL: pass one or set OCMS_DATABASE_URL")
    return str(url)


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite needs batch mode for ALTERs in later revisions
        # The decision log's monthly partitions (PostgreSQL) are made by repository/partitions.py, not the models.
        include_name=lambda name, type_, parents: not (type_ == "table" and is_partition_name(name)),
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    _configure(url=normalise_url(_url()), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
