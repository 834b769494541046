"""Reference data cached per process: ``ocms_parameter`` and ``ocms_offence_rule_code``.

Every intake reads the same few parameters (REVIVAL_DAYS, SUSPENSION,
AN_QUALIFICATION) and, for CES, the offence rule codes; asking the database
each time cost three round trips per notice. Here one ``SELECT`` of each
(small) table fills a per-process cache, keyed by database URL, which is
emptied:

* when any connection of this process writes either table (``INSERT``,
  ``UPDATE``, ``DELETE``, ``TRUNCATE`` - an ``after_cursor_execute`` listener
  on every :class:`~sqlalchemy.engine.Engine`), at the write and again when
  that connection's transaction ends (commit or rollback), so a value written
  and then rolled back does not stay cached, and a value read inside the
  writing transaction is not kept past it;
* :data:`DEFAULT_TTL` seconds after it was filled (:func:`set_ttl`,
  ``OCMS_REFERENCE_TTL``): the bound on how long a change made by another
  process (an operator's SQL, another worker or machine) takes to be seen.

A statement that begins with a comment is not taken for a write of reference
data: the notice-number counter (a row of ``ocms_parameter`` advanced by every
block of numbers, never read through this cache) marks its ``UPDATE`` so.

The cache is filled through the caller's session, so it sees what that
transaction sees. Thread-safe: the cache is replaced whole, never mutated.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from .reference import OffenceRuleCode, Parameter

#: Seconds a filled cache is used at most (changes from other processes are seen within this).
DEFAULT_TTL = 5.0
#: Tables whose writes empty the cache (lower case, as statements name them).
TABLES = (Parameter.__tablename__, OffenceRuleCode.__tablename__)
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCA", "DROP T", "ALTER ")
_DIRTY = "ocms.reference_cache.dirty"


@dataclass(frozen=True)
class _Snapshot:
    filled_at: float
    generation: int
    parameters: dict[tuple[str, str], str]
    families: dict[str, dict[str, str]]
    rule_codes: frozenset[int]


_lock = threading.Lock()
_snapshots: dict[str, _Snapshot] = {}
_generation = 0
_ttl = DEFAULT_TTL
_stats = {"hits": 0, "fills": 0, "invalidations": 0}


def set_ttl(seconds: float) -> None:
    """Use a filled cache at most ``seconds`` (0: never cache)."""
    global _ttl
    _ttl = max(0.0, float(seconds))


def invalidate() -> None:
    """Empty the cache of every database (the next read fills it again)."""
    global _generation
    with _lock:
        _generation += 1
        _snapshots.clear()
        _stats["invalidations"] += 1


def stats() -> dict[str, int]:
    """Counts since start: ``hits`` (reads served from the cache), ``fills`` and ``invalidations``."""
    return dict(_stats)


def _key(session: Session) -> str:
    return session.get_bind().url.render_as_string(hide_password=True)


def _snapshot(session: Session) -> _Snapshot:
    key = _key(session)
    snap = _snapshots.get(key)
    if snap is not None and snap.generation == _generation and time.monotonic() - snap.filled_at < _ttl:
        _stats["hits"] += 1
        return snap
    generation = _generation
    parameters = {(p, c): v for p, c, v in session.execute(select(Parameter.parameter_id, Parameter.code, Parameter.value))}
    families: dict[str, dict[str, str]] = {}
    for (p, c), v in sorted(parameters.items()):
        families.setdefault(p, {})[c] = v
    codes = frozenset(session.scalars(select(OffenceRuleCode.computer_rule_code)))
    snap = _Snapshot(time.monotonic(), generation, parameters, families, codes)
    with _lock:
        _stats["fills"] += 1
        if generation == _generation and _ttl > 0:  # not emptied while we read: keep it
            _snapshots[key] = snap
    return snap


def get_parameter(session: Session, parameter_id: str, code: str, default: str | None = None) -> str | None:
    """The value of parameter ``(parameter_id, code)``, or ``default`` (as :func:`repository.queries.get_parameter`)."""
    return _snapshot(session).parameters.get((parameter_id, code), default)


def get_parameters(session: Session, parameter_id: str) -> dict[str, str]:
    """Every ``code -> value`` of family ``parameter_id``, in code order (as :func:`repository.queries.get_parameters`)."""
    return dict(_snapshot(session).families.get(parameter_id, {}))


def rule_code_exists(session: Session, computer_rule_code: int) -> bool:
    """True if ``ocms_offence_rule_code`` holds ``computer_rule_code``."""
    return computer_rule_code in _snapshot(session).rule_codes


def _writes_reference(statement: str) -> bool:
    head = statement[:6].upper()
    if not head.startswith(_WRITES):
        return False
    lowered = statement.lower()
    return any(t in lowered for t in TABLES)


@event.listens_for(Engine, "after_cursor_execute")
def _after_execute(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    if _writes_reference(statement):
        conn.info[_DIRTY] = True
        invalidate()


def _end_of_transaction(conn: Any) -> None:
    try:
        dirty = conn.info.pop(_DIRTY, False)
    except Exception:  # an invalidated connection (its info cannot be read while it rolls back): empty to be safe
        dirty = True
    if dirty:
        invalidate()


event.listen(Engine, "commit", _end_of_transaction)
event.listen(Engine, "rollback", _end_of_transaction)


__all__ = ["DEFAULT_TTL", "TABLES", "get_parameter", "get_parameters", "invalidate", "rule_code_exists", "set_ttl",
           "stats"]
