"""repository imports only sqlalchemy, alembic and the standard library (DESIGN.md §2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import repository


def test_repository_never_imports_flask_engine_api_or_requests():
    code = (
        "import sys, repository, repository.seed, repository.migrate, repository.queries\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'engine', 'api', 'requests'})\n"
        "print(','.join(bad))\n"
    )
    root = Path(repository.__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == ""


def test_public_api_is_exported():
    missing = [name for name in repository.__all__ if not hasattr(repository, name)]
    assert missing == []
    for name in ("make_engine", "UnitOfWork", "upgrade", "seed_demo", "get_notices", "DecisionLog"):
        assert name in repository.__all__
