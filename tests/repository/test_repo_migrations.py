"""The alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import re

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from repository.migrate import (
    MIGRATIONS_DIR,
    current_revision,
    downgrade,
    make_config,
    schema_differences,
    upgrade,
)
from repository.models import metadata


def head() -> str:
    return ScriptDirectory.from_config(make_config()).get_current_head()


def test_database_is_at_head(engine, db_url):
    assert current_revision(db_url) == head() == "0002"


def test_every_model_table_exists(engine):
    tables = set(inspect(engine).get_table_names())
    missing = set(metadata.tables) - tables
    assert not missing


def test_migration_matches_models(engine, db_url):
    assert schema_differences(db_url) == []


def test_initial_migration_creates_tables_explicitly():
    source = "".join(p.read_text() for p in sorted((MIGRATIONS_DIR / "versions").glob("0*.py")))
    created = set(re.findall(r"op\.create_table\(\s*['\"]([a-z_]+)['\"]", source))
    assert created == set(metadata.tables)
    assert "create_all" not in source


def test_downgrade_to_base_and_back(engine, db_url):
    downgrade(engine, "base")
    try:
        assert current_revision(db_url) is None
        assert not set(metadata.tables) & set(inspect(engine).get_table_names())
    finally:
        upgrade(engine)
    assert current_revision(db_url) == "0002"
    assert schema_differences(db_url) == []


def test_key_indexes_exist(engine):
    insp = inspect(engine)
    notice_ix = {tuple(i["column_names"]) for i in insp.get_indexes("ocms_valid_offence_notice")}
    assert ("vehicle_no", "notice_date_and_time") in notice_ix
    cop_ix = {tuple(i["column_names"]) for i in insp.get_indexes("ocms_change_of_processing")}
    assert ("notice_no", "date_of_change") in cop_ix
    pk = insp.get_pk_constraint("ocms_suspended_notice")["constrained_columns"]
    assert pk == ["notice_no", "date_of_suspension", "sr_no"]
    for table in ("ocms_valid_offence_notice", "eocms_valid_offence_notice"):
        assert insp.get_pk_constraint(table)["constrained_columns"] == ["notice_no"]


def test_upgrade_by_url_is_idempotent(engine, db_url):
    upgrade(db_url)
    assert current_revision(db_url) == "0002"
