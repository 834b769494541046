"""Fixtures for engine tests: the project's rules, loaded once."""
from pathlib import Path

import pytest

from api.decisions.vocabulary import VOCABULARY
from engine import RuleRegistry

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
FIXTURES = ROOT / "fixtures"
TESTDATA = Path(__file__).resolve().parent / "testdata"


@pytest.fixture(scope="session")
def registry():
    r = RuleRegistry(RULES, VOCABULARY)
    yield r
    r.close()


@pytest.fixture
def rules_copy(tmp_path):
    """A private copy of the rules directory, to edit or break."""
    import shutil
    dst = tmp_path / "rules"
    shutil.copytree(RULES, dst)
    return dst
