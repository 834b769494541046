"""Shared fixtures: the app on a real database, a test client, an in-process ``ocms`` runner.

The database is ``$OCMS_DATABASE_URL`` if set (e.g.
postgresql://root@127.0.0.1:5432/test), else a SQLite file in a temporary
directory. Its schema is dropped and migrated once per session; each ``app``
starts on empty tables. Each ``app`` serves a private copy of ``rules/`` so a
test may edit or break it.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import jwt
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = PROJECT_ROOT / "rules"
FIXTURES_DIR = PROJECT_ROOT / "fixtures"

API_KEYS = {"cas": "cas-test-key", "plus": "plus-test-key", "admin": "admin-test-key", "eservice": "eservice-test-key"}
JWT_SECRET = "jwt-test-secret-0123456789abcdef0123"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """URL of the database under test."""
    return os.environ.get("OCMS_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('ocms-api') / 'ocms.db'}"


@pytest.fixture(scope="session")
def db_engine(database_url):
    """An engine on a freshly dropped and migrated schema."""
    from repository.db import make_engine
    from repository.migrate import drop_schema, upgrade
    eng = make_engine(database_url)
    drop_schema(eng)
    upgrade(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def clean_db(db_engine):
    """Empty every table before the test."""
    from repository.migrate import delete_all_rows
    delete_all_rows(db_engine)
    return db_engine


@pytest.fixture
def rules_dir(tmp_path) -> Path:
    """A private copy of the project's rules."""
    d = tmp_path / "rules"
    shutil.copytree(RULES_DIR, d)
    return d


def make_config(database_url: str, rules_dir: Path, **overrides) -> dict:
    """The test configuration of one app."""
    config = {
        "TESTING": True,
        "OCMS_DATABASE_URL": database_url,
        "OCMS_RULES_DIR": str(rules_dir),
        "OCMS_FIXTURES_DIR": str(FIXTURES_DIR),
        "OCMS_API_KEYS": dict(API_KEYS),
        "OCMS_JWT_SECRET": JWT_SECRET,
        "OCMS_RULES_CHECK_INTERVAL": 0,
    }
    config.update(overrides)
    return config


@pytest.fixture
def make_app(clean_db, database_url, rules_dir):
    """Build apps on the test database (several share one database, like gunicorn workers)."""
    from api import create_app
    from api.database import get_db
    from api.decisions.service import get_rules
    apps = []

    def build(**overrides):
        app = create_app(make_config(database_url, rules_dir, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        get_rules(app).close()
        get_db(app).engine.dispose()


@pytest.fixture
def make_seeded_app(make_app):
    """Build apps like ``make_app``, each on the reference data seeded (``repository.seed.seed_reference``)."""
    from api.database import get_db
    from repository.seed import seed_reference

    def build(**overrides):
        app = make_app(**overrides)
        with get_db(app).unit_of_work() as uow:
            seed_reference(uow.session)
            uow.commit()
        return app

    return build


@pytest.fixture
def smtp():
    """An SMTP server on loopback that keeps what it receives (``simulators.smtp.SmtpSimulator``)."""
    from simulators.smtp import SmtpSimulator
    with SmtpSimulator() as sim:
        yield sim


@pytest.fixture
def app(make_app):
    """The app under test."""
    return make_app()


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def db(app):
    """The app's :class:`api.database.Database`."""
    from api.database import get_db
    return get_db(app)


def key(system: str) -> dict:
    """Headers carrying ``system``'s subscription key."""
    return {"Ocp-Apim-Subscription-Key": API_KEYS[system]}


def token(claims: dict | None = None, secret: str = JWT_SECRET, **more) -> str:
    """A Staff Portal JWT: ``sub`` officer1, ``roles`` [OIC], ``exp`` in an hour unless ``claims``/``more`` say otherwise."""
    import time
    body = {"sub": "officer1", "roles": ["OIC"], "exp": int(time.time()) + 3600, **(claims or {}), **more}
    return jwt.encode({k: v for k, v in body.items() if v is not ...}, secret, algorithm="HS256")


def bearer(sub: str = "officer1", roles=("OIC",), secret: str = JWT_SECRET) -> dict:
    """Headers carrying a Staff Portal JWT."""
    return {"Authorization": "Bearer " + token({"sub": sub, "roles": list(roles)}, secret)}


@pytest.fixture(name="key")
def key_fixture():
    """:func:`key` for tests (test modules do not import conftest)."""
    return key


@pytest.fixture(name="bearer")
def bearer_fixture():
    """:func:`bearer` for tests."""
    return bearer


@dataclass
class CliResult:
    exit_code: int
    output: str
    stderr: str


class CliRunner:
    """Run ``ocms`` in-process with the app's settings in the environment."""

    def __init__(self, env: dict):
        self.env = env

    def invoke(self, args: list[str], env: dict | None = None) -> CliResult:
        from api.cli import main
        out, err = io.StringIO(), io.StringIO()
        with mock.patch.dict(os.environ, {**self.env, **(env or {})}), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
        return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def runner(app) -> CliRunner:
    """An in-process ``ocms`` runner using ``app``'s database and rules."""
    return CliRunner({
        "OCMS_DATABASE_URL": app.config["OCMS_DATABASE_URL"],
        "OCMS_RULES_DIR": app.config["OCMS_RULES_DIR"],
        "OCMS_FIXTURES_DIR": app.config["OCMS_FIXTURES_DIR"],
    })
