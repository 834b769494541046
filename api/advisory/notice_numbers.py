"""Notice numbers for notices that arrive without one: 9 digits and a check letter.

Format (OCMS 10 §3.2/§3.3 ``noticeNo`` string(10), e.g. ``500400058A``): nine
digits ``d1..d9`` and a check letter

    letter = CHECK_LETTERS[(9*d1 + 8*d2 + 7*d3 + 6*d4 + 5*d5 + 4*d6 + 3*d7 + 2*d8 + 1*d9) mod 23]
    CHECK_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"   (A-Z without I, O and U: 23 letters)

23 is prime and every weight is 1-9, so any single wrong digit and any swap of
two neighbouring digits changes the letter. Numbers sent by REPCCS/CES are
stored as sent, trimmed and upper-cased (their letters follow the senders' own
rules). The letter's formula lives in :mod:`repository.identity` (the demo seed
uses it too).

The nine digits come from a counter row, ``ocms_parameter`` (NOTICE_NO,
NEXT_SEQUENCE) = the last number handed out, advanced with one atomic
``UPDATE ... RETURNING`` in its own short transaction (never inside the
intake transaction, so the hot row is locked for microseconds, not for a
whole intake). Each process takes a block of :data:`DEFAULT_BLOCK` numbers at
a time and hands them out under a lock; numbers of a block not used before a
restart are skipped (gaps, never duplicates). The first block starts after
(NOTICE_NO, START), default :data:`DEFAULT_START` - a PLACEHOLDER TO CONFIRM,
chosen above the 5xxxxxxxx numbers REPCCS/CES send. A number a caller already
used is skipped by the intake (it checks and retries on a key clash).
"""
from __future__ import annotations

import threading

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from repository.base import now
from repository.identity import CHECK_LETTERS, check_letter, format_notice_no, is_generated_format

COUNTER = ("NOTICE_NO", "NEXT_SEQUENCE")
START = ("NOTICE_NO", "START")
DEFAULT_START = 900000000
DEFAULT_BLOCK = 20
MAX_SEQUENCE = 999_999_999


class NoticeNumbersExhausted(RuntimeError):
    """The nine-digit range is used up."""


#: The leading comment: not a change of reference data (repository/reference_cache.py keeps its cache).
_ADVANCE = text(
    "/* notice-number counter */ UPDATE ocms_parameter SET value = CAST(CAST(value AS BIGINT) + :n AS VARCHAR(30)) "
    "WHERE parameter_id = :pid AND code = :code RETURNING value"
)
_CREATE = text(
    "INSERT INTO ocms_parameter (parameter_id, code, value, description, cre_date, cre_user_id) "
    "VALUES (:pid, :code, :value, :description, :stamp, 'ocmsiz_app_conn')"
)
_START = text("SELECT value FROM ocms_parameter WHERE parameter_id = :pid AND code = :code")


def reserve_block(engine: Engine, size: int) -> range:
    """Advance the counter by ``size`` in its own transaction; return the sequence values reserved."""
    for _ in range(3):
        with engine.begin() as conn:
            row = conn.execute(_ADVANCE, {"n": size, "pid": COUNTER[0], "code": COUNTER[1]}).first()
            if row is not None:
                last = int(row[0])
                break
        # First use on this database: create the counter (another process may race us: then retry).
        with engine.connect() as conn:
            start = conn.execute(_START, {"pid": START[0], "code": START[1]}).scalar()
        try:
            with engine.begin() as conn:
                conn.execute(_CREATE, {"pid": COUNTER[0], "code": COUNTER[1], "value": str(int(start or DEFAULT_START)),
                                       "description": "Last generated notice number (sequence part); see api/advisory/notice_numbers.py",
                                       "stamp": now()})
        except IntegrityError:
            pass
    else:  # pragma: no cover - the row exists after the first round
        raise RuntimeError("notice number counter could not be created")
    if last > MAX_SEQUENCE:
        raise NoticeNumbersExhausted(f"notice number counter passed {MAX_SEQUENCE}")
    return range(last - size + 1, last + 1)


class NoticeNumberAllocator:
    """Hands out notice numbers from blocks reserved in the database; thread-safe."""

    def __init__(self, engine: Engine, block: int = DEFAULT_BLOCK):
        self.engine = engine
        self.block = max(1, int(block))
        self._lock = threading.Lock()
        self._pending: list[int] = []

    def next(self) -> str:
        """A new notice number, never handed out before by any process on this database."""
        with self._lock:
            if not self._pending:
                self._pending = list(reversed(reserve_block(self.engine, self.block)))
            return format_notice_no(self._pending.pop())


__all__ = ["CHECK_LETTERS", "NoticeNumberAllocator", "NoticeNumbersExhausted", "check_letter",
           "format_notice_no", "is_generated_format", "reserve_block"]
