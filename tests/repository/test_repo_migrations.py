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


#: The newest migration: the one the models describe. Bump it with each new migration file.
EXPECTED_HEAD = "0009"  # 0009_furnish_claim, after 0008_notifications


def head() -> str:
    return ScriptDirectory.from_config(make_config()).get_current_head()


def test_database_is_at_head(engine, db_url):
    assert current_revision(db_url) == head() == EXPECTED_HEAD


def test_every_model_table_exists(engine):
    tables = set(inspect(engine).get_table_names())
    missing = set(metadata.tables) - tables
    assert not missing


def test_migration_matches_models(engine, db_url):
    assert schema_differences(db_url) == []


def test_initial_migration_creates_tables_explicitly():
    source = "".join(p.read_text() for p in sorted((MIGRATIONS_DIR / "versions").glob("[0-9]*.py")))
    created = set(re.findall(r"op\.create_table\(\s*['\"]([a-z_]+)['\"]", source))
    assert created == set(metadata.tables)


def test_downgrade_to_base_and_back(engine, db_url):
    downgrade(engine, "base")
    try:
        assert current_revision(db_url) is None
        assert not set(metadata.tables) & set(inspect(engine).get_table_names())
    finally:
        upgrade(engine)
    assert current_revision(db_url) == head()
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
    assert current_revision(db_url) == head()


def test_migration_0002_keeps_the_decision_log_rows_and_their_ids(engine, db_url):
    """Upgrading a populated 0001 decision log (partitioned on PostgreSQL) keeps every row, id and the sequence."""
    import datetime as dt

    from sqlalchemy import insert, select, text

    from repository import partitions
    from repository.models import DecisionLog

    downgrade(engine, "0001")
    try:
        when = [dt.datetime(2024, 2, 29, 23, 59, 59), dt.datetime(2025, 7, 1), dt.datetime.now().replace(microsecond=0)]
        with engine.begin() as c:
            c.execute(text("DELETE FROM ocms_decision_log"))
            for w in when:
                c.execute(text("INSERT INTO ocms_decision_log (decided_at, ruleset, subject, dry_run) "
                               "VALUES (:w, 'an_qualification', 'N1', :f)"), {"w": w, "f": False})
            before = c.execute(text("SELECT id, decided_at FROM ocms_decision_log ORDER BY id")).all()
    finally:
        upgrade(engine)
    with engine.begin() as c:
        assert c.execute(text("SELECT id, decided_at FROM ocms_decision_log ORDER BY id")).all() == before
        c.execute(insert(DecisionLog.__table__), [{"decided_at": when[-1], "ruleset": "x", "dry_run": False}])
        newest = c.execute(select(DecisionLog.id).order_by(DecisionLog.id.desc()).limit(1)).scalar()
        assert newest > before[-1][0]
        if engine.dialect.name == "postgresql":
            names = [p.name for p in partitions.list_partitions(c)]
            assert partitions.partition_name(when[0]) in names and partitions.partition_name(when[1]) in names
            assert names[-1] == partitions.DEFAULT_PARTITION
        c.execute(text("DELETE FROM ocms_decision_log"))
    assert schema_differences(db_url) == []
