"""Normalise existing rows: one vehicle is one vehicle, notice numbers and codes upper-case (issue 11).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

The API normalises what callers send (repository/identity.py, DESIGN.md §10);
this migration brings rows stored before that to the same form. Data only,
no schema change:

* vehicle numbers (``ocms_valid_offence_notice``, ``eocms_valid_offence_notice``,
  ``ocms_vip_vehicle``): every whitespace character removed, upper-cased;
* notice numbers, in every table that holds one (``notice_no`` columns and the
  decision log's ``subject``): trimmed and upper-cased. A notice's number is
  its key: the notice row is copied under the new number, its children
  (detail, offenders, suspensions, court case, stage changes, furnish
  applications, the internet mirror's suspensions) are moved to it, then the
  old row is removed — all in this one transaction;
* enumerated codes (stages, types, categories, reasons, Y/N flags, sources):
  trimmed and upper-cased.

Collisions are REPORTED, never merged: when two rows normalise to the same
notice number (``500400058a`` beside ``500400058A``), or two VIP rows to the
same vehicle, neither row is changed. Each collision is logged as a WARNING
(logger ``repository.migrations``) and queued in ``ocms_manual_review_queue``
(review_type ``NOTICE_NO_COLLISION`` / ``VIP_VEHICLE_COLLISION``, status OPEN,
the rows in ``details``) for staff to resolve; the migration itself
succeeds. Downgrade changes nothing (the original spellings are not kept).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from repository.business_time import now
from repository.identity import normalise_notice_no, normalise_vehicle_no

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("repository.migrations")

NOTICES = ("ocms_valid_offence_notice", "eocms_valid_offence_notice")
VEHICLE_COLUMNS = (("ocms_valid_offence_notice", "vehicle_no"), ("eocms_valid_offence_notice", "vehicle_no"))
#: Code columns upper-cased in place (none is part of a key).
CODE_COLUMNS = {
    **{t: ("offence_notice_type", "vehicle_registration_type", "vehicle_category", "payment_acceptance_allowed",
           "subsystem_label", "pp_code", "prev_processing_stage", "last_processing_stage", "next_processing_stage",
           "suspension_type", "crs_reason_of_suspension", "epr_reason_of_suspension", "atoms_flag", "an_flag",
           "ean_sent_flag", "letter_sent_flag", "unqualified_list_sent_flag") for t in NOTICES},
    **{t: ("suspension_type", "reason_of_suspension", "revival_reason")
       for t in ("ocms_suspended_notice", "eocms_suspended_notice")},
    "ocms_change_of_processing": ("last_processing_stage", "new_processing_stage", "reason_of_change", "source"),
    "ocms_vip_vehicle": ("vip_vehicle", "status"),
    "ocms_offence_rule_code": ("offence_notice_type",),
}
BATCH = 5000
REVIEW = "ocms_manual_review_queue"


def _q(name: str) -> str:
    return op.get_context().dialect.identifier_preparer.quote(name)


def _columns(insp, table: str) -> list[str]:
    return [c["name"] for c in insp.get_columns(table)]


def _report(conn, review_type: str, notice_no: str | None, reason: str, details: dict) -> None:
    log.warning("%s: %s %s", review_type, reason, details)
    conn.execute(sa.text(
        f"INSERT INTO {REVIEW} (notice_no, review_type, reason, details, status, cre_date, cre_user_id) "
        "VALUES (:n, :t, :r, :d, 'OPEN', :c, 'alembic')").bindparams(sa.bindparam("d", type_=sa.JSON())),
        {"n": notice_no, "t": review_type, "r": reason, "d": details, "c": now()})


def _codes(conn, insp, tables: set[str]) -> None:
    for table, columns in CODE_COLUMNS.items():
        if table not in tables:
            continue
        present = set(_columns(insp, table))
        for col in (c for c in columns if c in present):
            c = _q(col)
            conn.execute(sa.text(f"UPDATE {_q(table)} SET {c} = UPPER(TRIM({c})) "
                                 f"WHERE {c} IS NOT NULL AND {c} <> UPPER(TRIM({c}))"))


def _changed_pairs(conn, table: str, key: str, column: str, normalise) -> list[tuple]:
    """(key, old value, new value) for every row whose ``column`` normalises to something else."""
    rows = conn.execute(  # streamed in batches (a server-side cursor on PostgreSQL), for this statement only
        sa.text(f"SELECT {_q(key)}, {_q(column)} FROM {_q(table)} WHERE {_q(column)} IS NOT NULL")
        .execution_options(yield_per=BATCH))
    return [(k, v, normalise(v)) for k, v in rows if normalise(v) != v]


def _vehicles(conn, tables: set[str]) -> None:
    for table, column in VEHICLE_COLUMNS:
        if table in tables:
            changes = [{"k": k, "v": new} for k, _old, new in _changed_pairs(conn, table, "notice_no", column,
                                                                             normalise_vehicle_no)]
            for i in range(0, len(changes), BATCH):
                conn.execute(sa.text(f"UPDATE {_q(table)} SET {_q(column)} = :v WHERE notice_no = :k"),
                             changes[i:i + BATCH])
    if "ocms_vip_vehicle" in tables:  # vehicle_no is the key: a clash is reported, both rows kept
        existing = {v for (v,) in conn.execute(sa.text("SELECT vehicle_no FROM ocms_vip_vehicle"))}
        wanted: dict[str, list[str]] = defaultdict(list)
        for old in existing:
            new = normalise_vehicle_no(old)
            if new != old:
                wanted[new].append(old)
        for new, olds in sorted(wanted.items()):
            if len(olds) > 1 or new in existing:
                _report(conn, "VIP_VEHICLE_COLLISION", None,
                        f"VIP vehicles {sorted(olds)} are vehicle {new}, which is taken: not normalised",
                        {"table": "ocms_vip_vehicle", "normalised": new,
                         "rows": sorted(olds + ([new] if new in existing else []))})
                continue
            conn.execute(sa.text("UPDATE ocms_vip_vehicle SET vehicle_no = :new WHERE vehicle_no = :old"),
                         {"new": new, "old": olds[0]})


def _notice_numbers(conn, insp, tables: set[str]) -> None:
    parents = [t for t in NOTICES if t in tables]
    numbers = {t: {n for (n,) in conn.execute(sa.text(f"SELECT notice_no FROM {_q(t)}"))} for t in parents}
    every = set().union(*numbers.values()) if numbers else set()
    targets: dict[str, set[str]] = defaultdict(set)
    for old in every:
        targets[normalise_notice_no(old)].add(old)
    rename: dict[str, str] = {}
    collided: set[str] = set()
    for new, olds in sorted(targets.items()):
        movers = sorted(o for o in olds if o != new)
        if not movers:
            continue
        if len(olds) > 1:  # another row is, or becomes, this number: report, change nothing
            collided.update(olds)
            _report(conn, "NOTICE_NO_COLLISION", new[:10],
                    f"notices {sorted(olds)} are all notice {new}: none renamed, resolve by hand",
                    {"normalised": new, "rows": sorted(olds),
                     "tables": {t: sorted(o for o in olds if o in numbers[t]) for t in parents}})
            continue
        rename[movers[0]] = new
    children: dict[str, list[str]] = defaultdict(list)  # parent -> tables whose notice_no references it
    for table in sorted(tables):
        for fk in insp.get_foreign_keys(table):
            if fk["referred_table"] in parents and fk["constrained_columns"] == ["notice_no"]:
                children[fk["referred_table"]].append(table)
    linked = {t for ts in children.values() for t in ts}
    pairs = [{"old": o, "new": n} for o, n in sorted(rename.items())]
    # 1. each renamed notice (and its mirror) is copied under its new number ...
    for parent in parents:
        cols = [c for c in _columns(insp, parent) if c != "notice_no"]
        copied = [p for p in pairs if p["old"] in numbers[parent]]
        if copied:
            conn.execute(sa.text(
                f"INSERT INTO {_q(parent)} (notice_no, {', '.join(map(_q, cols))}) "
                f"SELECT :new, {', '.join(map(_q, cols))} FROM {_q(parent)} WHERE notice_no = :old"), copied)
    # 2. ... its children and every other row naming it follow (other tables: every row that normalises) ...
    for table in sorted(tables - set(parents)):
        if "notice_no" not in _columns(insp, table):
            continue
        if table in linked:
            if pairs:
                conn.execute(sa.text(f"UPDATE {_q(table)} SET notice_no = :new WHERE notice_no = :old"), pairs)
            continue
        loose = [{"old": o, "new": n} for _k, o, n in _changed_pairs(conn, table, "notice_no", "notice_no",
                                                                      normalise_notice_no) if o not in collided]
        loose = list({p["old"]: p for p in loose}.values())
        if loose:
            conn.execute(sa.text(f"UPDATE {_q(table)} SET notice_no = :new WHERE notice_no = :old"), loose)
    if "ocms_decision_log" in tables and pairs:
        conn.execute(sa.text("UPDATE ocms_decision_log SET subject = :new WHERE subject = :old"), pairs)
    # 3. ... and the old rows go (mirror first: nothing refers to it but its own suspensions, already moved).
    for parent in reversed(parents):
        gone = [{"old": p["old"]} for p in pairs if p["old"] in numbers[parent]]
        if gone:
            conn.execute(sa.text(f"DELETE FROM {_q(parent)} WHERE notice_no = :old"), gone)
    if rename or collided:
        log.info("notice numbers normalised: %d renamed, %d left for manual review", len(rename), len(collided))


def upgrade() -> None:
    conn = op.get_bind()
    insp = sa.inspect(conn)
    tables = set(insp.get_table_names())
    _codes(conn, insp, tables)
    _vehicles(conn, tables)
    _notice_numbers(conn, insp, tables)


def downgrade() -> None:
    """Nothing to undo: the rows' original spellings are not kept (they were the same vehicles and notices)."""
