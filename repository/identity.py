"""What makes two vehicle numbers, notice numbers or codes the same (DESIGN.md §10).

Callers send ``szz7001a``, `` SZZ7001A`` or ``SZZ 7001A``; to OCMS these are
one vehicle. Every entry point of the service (the REPCCS/CES webhooks, CAS
APIs 1-3, PLUS API 4, CPS search/validate/submit, PLUS and Toppan stage
changes, the ANS report filter, the toppan-cps job) passes what it receives
through these functions before it validates, stores or looks anything up,
so the database only ever holds the normalised form:

=====================  ======================================  =======================
kind                   rule                                    ``" szz 7001a "`` →
=====================  ======================================  =======================
vehicle number         every whitespace character removed      ``SZZ7001A``
                       (ends and inside), letters upper-cased
notice number          trimmed, upper-cased; then it must be   ``500400058A``
                       1-10 letters and digits (A-Z, 0-9)      (from `` 500400058a``)
code (stage, type,     trimmed, upper-cased                    ``RD1`` (from ``rd1 ``)
category, Y/N flag …)
=====================  ======================================  =======================

The functions are pure (no I/O): the API's marshmallow fields
(:mod:`api.web.fields`), the data migration that normalised existing rows
(``repository/migrations/versions/0002_conformance.py``) and the demo seed use
the same ones. Notice numbers OCMS generates carry a check letter
(:func:`check_letter`); numbers REPCCS/CES send are kept as sent (normalised).
"""
from __future__ import annotations

import re

__all__ = [
    "CHECK_LETTERS", "NOTICE_NO_MAX", "NOTICE_NO_PATTERN", "check_letter", "format_notice_no",
    "is_generated_format", "is_notice_no", "normalise_code", "normalise_notice_no", "normalise_vehicle_no",
]

_WHITESPACE = re.compile(r"\s+")

#: The longest notice number (``ocms_valid_offence_notice.notice_no`` is String(10)).
NOTICE_NO_MAX = 10
#: A normalised notice number: 1-10 upper-case letters and digits.
NOTICE_NO_PATTERN = re.compile(r"[A-Z0-9]{1,10}\Z")


def normalise_vehicle_no(value: str) -> str:
    """A vehicle number as OCMS keeps it: ``" szz 7001a"`` → ``"SZZ7001A"``.

    Every whitespace character (spaces, tabs, no-break spaces …) is removed,
    wherever it is, and letters are upper-cased. Raises TypeError for a non-string.
    """
    return _WHITESPACE.sub("", value).upper()


def normalise_notice_no(value: str) -> str:
    """A notice number as OCMS keeps it: trimmed and upper-cased (``" 500400058a "`` → ``"500400058A"``).

    Whether the result is a well-formed notice number is :func:`is_notice_no`'s question.
    """
    return value.strip().upper()


def is_notice_no(value: str) -> bool:
    """True if ``value`` (already normalised) is 1-10 letters A-Z and digits."""
    return bool(NOTICE_NO_PATTERN.match(value))


def normalise_code(value: str) -> str:
    """An enumerated code as OCMS keeps it: trimmed and upper-cased (``" rd1"`` → ``"RD1"``, ``"y"`` → ``"Y"``)."""
    return value.strip().upper()


# ---- generated notice numbers (OCMS 10 §3.2/§3.3 noticeNo, e.g. 500400058A) ----------------------------------
#: A-Z without I, O and U: 23 letters (23 is prime).
CHECK_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"
WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, 1)


def check_letter(digits: str) -> str:
    """The check letter of nine digits: ``CHECK_LETTERS[(9·d1 + 8·d2 + … + 1·d9) mod 23]``.

    Any single wrong digit and any swap of two neighbouring digits changes it.
    Raises ValueError unless ``digits`` is exactly nine digits.
    """
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"a notice number has 9 digits before its letter, got {digits!r}")
    return CHECK_LETTERS[sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 23]


def format_notice_no(sequence: int) -> str:
    """The notice number of a sequence value 0-999,999,999: nine digits and the check letter."""
    digits = f"{sequence:09d}"
    return digits + check_letter(digits)


def is_generated_format(notice_no: str) -> bool:
    """True if ``notice_no`` is nine digits followed by their correct check letter."""
    return (len(notice_no) == 10 and notice_no[:9].isascii() and notice_no[:9].isdigit()
            and check_letter(notice_no[:9]) == notice_no[9])
