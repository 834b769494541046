"""The CPS app (with a Toppan key and a private report store), its client and database."""
from __future__ import annotations

import pytest

from tests.conftest import API_KEYS


@pytest.fixture
def cps_app(make_app, tmp_path):
    return make_app(OCMS_API_KEYS={**API_KEYS, "toppan": "toppan-test-key"}, OCMS_REPORT_DIR=str(tmp_path / "reports"))


@pytest.fixture
def cps(cps_app):
    return cps_app.test_client()


@pytest.fixture
def cps_db(cps_app):
    from api.database import get_db
    return get_db(cps_app)
