"""Toppan automatic stage changes (OCMS 15 §7): the internal API's use case and the ``toppan-cps`` job.

A batch is the notices Toppan processed (letters printed) for one stage move::

    {"batchId": "TOPPAN-20260118-RD1", "currentStage": "ROV", "newStage": "RD1",
     "noticeNumbers": ["500400058A", "500400059B"]}

Per entry of ``noticeNumbers`` (§7.2 treats problems per notice): a malformed
one (not a string of 1-10 letters and digits once trimmed and upper-cased)
and a repeat of an earlier entry are skipped with an error; the rest go to
the ruleset cps_toppan: not found, not at ``currentStage`` or a move the stage
map does not allow → skipped; a manual change today (source OCMS or PLUS) →
MANUAL, stage only; otherwise AUTOMATIC, stage and amount_payable. So
``totalNotices`` (the entries received) = automaticUpdates + manualUpdates +
skipped, and ``errors`` names every skipped entry. ``success`` is false (with a
``message``) when every entry was skipped: nothing of the batch was applied.
Each update writes an ocms_change_of_processing row (source SYSTEM). A notice
moved by the batch is no longer at ``currentStage``, so re-running the same
batch skips it: the batch is idempotent.

The job reads its batches from files: every ``*.json`` under
``$OCMS_TOPPAN_DIR/<run key>/`` (default ``instance/toppan/<yyyy-mm-dd>/``),
each one batch object or a list of them, as the Toppan cron leaves them. A
file that is not JSON, a file holding an empty list, or a batch refused by the
schema (no currentStage …), is listed in the run's ``errors`` (``badBatches``)
and the other files are applied.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

from api.decisions.log import record_decisions
from api.web.json import strict_loads
from engine import RuleRegistry
from repository.identity import is_notice_no, normalise_notice_no
from repository.models import SYSTEM_USER, now

from . import decide as rules
from .queries import (
    SOURCE_OCMS,
    SOURCE_PLUS,
    SOURCE_SYSTEM,
    StageChange,
    apply_stage_change,
    audit_row,
    gather,
    insert_audit,
    lock_notices,
)

MANUAL, AUTOMATIC, SKIPPED = "MANUAL", "AUTOMATIC", "SKIPPED"
REMARKS = {AUTOMATIC: "Toppan automatic update: stage and amount payable",
           MANUAL: "Toppan update after a manual change today: stage only"}
TOPPAN_DIR_ENV = "OCMS_TOPPAN_DIR"


def _shown(raw: Any) -> str:
    """An entry as the error message shows it (JSON, at most 40 characters)."""
    text = json.dumps(raw, ensure_ascii=True, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def screen_entries(entries: list[Any]) -> tuple[list[str], list[str]]:
    """(the well-formed notice numbers, normalised and each once, in order; an error per other entry)."""
    valid: list[str] = []
    seen: set[str] = set()
    errors: list[str] = []
    for i, raw in enumerate(entries):
        number = normalise_notice_no(raw) if isinstance(raw, str) else None
        if number is None or not is_notice_no(number):
            errors.append(f"noticeNumbers.{i} {_shown(raw)}: MALFORMED not a notice number (1-10 letters and digits)")
        elif number in seen:
            errors.append(f"{number}: DUPLICATE listed more than once in the batch (applied once)")
        else:
            seen.add(number)
            valid.append(number)
    return valid, errors


def update_batch(uow, registry: RuleRegistry, entries: list[Any], current_stage: str, new_stage: str,
                 request_id: str | None = None, caller: str | None = "toppan") -> dict:
    """Apply one Toppan batch inside ``uow`` (no commit); return the §7.4 statistics.

    ``entries`` are the batch's ``noticeNumbers`` as sent (any JSON values).
    ``totalNotices`` counts them all; malformed and repeated entries are
    skipped with an error each, like notices the rules skip.
    """
    session = uow.session
    when = now()
    today = when.date()
    notice_nos, errors = screen_entries(entries)
    rejected = len(errors)
    lock_notices(session, notice_nos)
    facts = gather(session, notice_nos, today, with_offenders=False)
    move = rules.stage_moves(registry, [(current_stage, new_stage)])[(current_stage, new_stage)]
    allowed = move.outcome == rules.ALLOWED
    facts_list = []
    for n in notice_nos:
        f = facts[n]
        item = {"notice_found": f.found}
        if f.found:
            item.update({"stage_matches": f.last_processing_stage == current_stage, "stage_rule_found": allowed,
                         "ocms_changes_today": f.changes_today.get(SOURCE_OCMS, 0),
                         "plus_changes_today": f.changes_today.get(SOURCE_PLUS, 0)})
        facts_list.append(item)
    decisions = rules.decide(registry, rules.TOPPAN, facts_list)
    by_outcome: dict[str, list[str]] = {AUTOMATIC: [], MANUAL: [], SKIPPED: []}
    for n, d in zip(notice_nos, decisions):
        by_outcome.setdefault(d.outcome, []).append(n)
        if d.outcome == SKIPPED:
            errors.append(f"{n}: {d.code} {d.message}")
    audit = []
    if allowed:
        next_stage, days = rules.next_of(move)
        surcharge = rules.surcharge(registry, new_stage)
        for outcome, members in ((AUTOMATIC, by_outcome[AUTOMATIC]), (MANUAL, by_outcome[MANUAL])):
            update_amount = outcome == AUTOMATIC
            change = StageChange(new_stage, next_stage, days, when, surcharge if update_amount else None)
            apply_stage_change(session, members, change, SYSTEM_USER, when)
            audit += [audit_row(n, today, current_stage, new_stage, SOURCE_SYSTEM, None, None, REMARKS[outcome],
                                SYSTEM_USER, when) for n in members]
    insert_audit(session, audit)
    record_decisions(session, decisions, notice_nos, request_id, caller)
    updated = len(by_outcome[AUTOMATIC]) + len(by_outcome[MANUAL])
    skipped = len(by_outcome[SKIPPED]) + rejected
    # §7.4 "success: overall success flag": a batch of which nothing could be applied did not succeed.
    success = updated > 0 or skipped == 0
    out = {"totalNotices": len(entries), "automaticUpdates": len(by_outcome[AUTOMATIC]),
           "manualUpdates": len(by_outcome[MANUAL]), "skipped": skipped, "errors": errors, "success": success}
    if not success:
        out["message"] = f"No notice updated: all {skipped} skipped (see errors)"
    return out


def read_batches(directory: Path) -> Iterator[tuple[str, Any, str | None]]:
    """Every batch in the ``*.json`` files of ``directory`` (sorted by name): (origin, batch, None),
    or (file name, None, why) for a file that cannot be read as JSON."""
    for path in sorted(directory.glob("*.json")):
        try:
            data = strict_loads(path.read_bytes())  # the API's JSON rules: no duplicate keys, NUL, lone surrogates
        except (OSError, UnicodeDecodeError, ValueError) as e:
            yield path.name, None, f"not a JSON batch file ({type(e).__name__}: {str(e)[:120]})"
            continue
        if isinstance(data, list) and not data:
            yield path.name, None, "holds no batch (an empty list): nothing to apply - refused, not taken as done"
            continue
        for i, batch in enumerate(data if isinstance(data, list) else [data]):
            yield f"{path.name}[{i}]", batch, None


def toppan_dir() -> Path:
    from api.config import default_instance_path
    return Path(os.environ.get(TOPPAN_DIR_ENV) or default_instance_path() / "toppan")
