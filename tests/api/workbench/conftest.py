"""Helpers of the workbench tests: a candidate rules directory an analyst changed, logged decisions."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
QUALIFIED = json.loads((DATA / "an_facts_qualified.json").read_text())


def move_threshold(directory: Path, gt: int = 2, version: str = "7.1.0") -> Path:
    """The change an analyst would make: AN qualification needs more than ``gt`` past offences."""
    path = directory / "an_qualification.yaml"
    text = path.read_text()
    assert "past_offences_24m: {gt: 0}" in text
    text = text.replace("past_offences_24m: {gt: 0}", f"past_offences_24m: {{gt: {gt}}}")
    text = "".join(f"version: {version}\n" if ln.startswith("version:") else ln for ln in text.splitlines(keepends=True))
    path.write_text(text)
    return directory


@pytest.fixture
def candidate_dir(tmp_path, rules_dir) -> Path:
    """A copy of the rules in service with the qualification threshold moved from > 0 to > 2."""
    d = tmp_path / "candidate"
    shutil.copytree(rules_dir, d)
    return move_threshold(d)


def version_in(path: Path) -> str:
    """The ``version:`` a ruleset file declares (the rules change on main; tests do not hard-code it)."""
    return next(ln.split(":", 1)[1].strip() for ln in path.read_text().splitlines() if ln.startswith("version:"))


def log(app, ruleset: str, rows: list[tuple[str, dict]], parameters: dict | None = None) -> None:
    """Record applied decisions as a use case does (same evaluation core, same log rows)."""
    from api.database import get_db
    from api.decisions.log import record_decisions
    from api.decisions.service import get_rules
    reg = get_rules(app).registry
    with get_db(app).unit_of_work() as uow:
        decisions = reg.evaluate_many(ruleset, [f for _, f in rows], parameters=parameters)
        record_decisions(uow.session, decisions, [s for s, _ in rows], "rid-1", "repccs")
        uow.commit()


@pytest.fixture(name="log_decisions")
def log_decisions_fixture():
    return log


@pytest.fixture(name="qualified")
def qualified_fixture():
    return dict(QUALIFIED)


@pytest.fixture(name="move_threshold")
def move_threshold_fixture():
    return move_threshold
