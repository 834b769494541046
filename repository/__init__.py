"""OCMS persistence: SQLAlchemy models of every spec table, engines and the unit
of work, alembic migrations, query functions and seed data (DESIGN.md §7).

Imports only sqlalchemy, alembic and the standard library.
"""

from .db import (
    DATABASE_URL_ENV,
    UnitOfWork,
    database_url,
    default_sqlite_url,
    make_engine,
    make_session_factory,
    normalise_url,
)
from .migrate import current_revision, delete_all_rows, downgrade, drop_schema, schema_differences, upgrade
from .models import *  # noqa: F401,F403 - the models are part of the public API
from .models import __all__ as _model_names
from .queries import *  # noqa: F401,F403
from .queries import __all__ as _query_names
from .seed import DEMO_MARKER, is_demo_seeded, seed_demo, seed_reference, table_counts

__all__ = [
    "DATABASE_URL_ENV", "DEMO_MARKER", "UnitOfWork", "current_revision", "database_url", "delete_all_rows",
    "default_sqlite_url", "downgrade", "drop_schema", "is_demo_seeded", "make_engine",
    "make_session_factory", "normalise_url", "schema_differences", "seed_demo", "seed_reference",
    "table_counts", "upgrade", *_model_names, *_query_names,
]
