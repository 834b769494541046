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
vehicle number         Unicode NFKC (full-width ``ＳＺＺ`` →      ``SZZ7001A``
                       ``SZZ``), format characters (category
                       Cf: zero-width space, BOM, soft hyphen,
                       bidi marks) and every whitespace
                       character removed (ends and inside),
                       letters upper-cased; a well-formed one
                       is then letters and digits only
                       (:func:`is_vehicle_no`)
notice number          NFKC, Cf removed, trimmed, upper-cased;  ``500400058A``
                       then 1-10 letters and digits (A-Z, 0-9) (from `` 500400058a``)
code (stage, type,     NFKC, Cf removed, trimmed, upper-cased                   ``RD1`` (from ``rd1 ``)
category, Y/N flag …)
=====================  ======================================  =======================

:func:`normalise_vehicle_no` is the ONE vehicle-number normaliser: intake
(webhooks), CAS, PLUS, CPS search, the ANS report filter, the CAS VIP list and
the engine's facts (declared ``normalise: vehicle_no`` in a ruleset, registered
by the application: engine/ imports nothing of this) all use it.

The functions are pure (no I/O): the API's marshmallow fields
(:mod:`api.web.fields`), the data migration that normalised existing rows
(``repository/migrations/versions/0002_conformance.py``) and the demo seed use
the same ones. Notice numbers OCMS generates carry a check letter
(:func:`check_letter`); numbers REPCCS/CES send are kept as sent (normalised).
"""
from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CHECK_LETTERS", "NOTICE_NO_MAX", "NOTICE_NO_PATTERN", "VEHICLE_NO_PATTERN", "check_letter", "clean_text",
    "format_notice_no", "is_blank", "is_generated_format", "is_notice_no", "is_vehicle_no", "normalise_code",
    "normalise_notice_no", "normalise_vehicle_no",
]

_WHITESPACE = re.compile(r"\s+")
#: A well-formed (normalised) vehicle number: ASCII letters and digits only.
VEHICLE_NO_PATTERN = re.compile(r"[A-Z0-9]+\Z")


def _drop_format_characters(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def clean_text(value: str) -> str:
    """``value`` in Unicode NFKC with its format characters (category Cf) removed.

    NFKC folds compatibility forms (full-width ``ＳＢＡ１２３４`` → ``SBA1234``, ligatures, no-break
    spaces → spaces); Cf characters (zero-width space U+200B, BOM U+FEFF, soft hyphen, joiners, bidi
    marks) are invisible and never part of an identifier. ASCII text is returned as it is.
    Raises TypeError for a non-string.
    """
    if value.isascii():
        return value
    text = unicodedata.normalize("NFKC", _drop_format_characters(value))
    return _drop_format_characters(text)


def is_blank(value: object) -> bool:
    """True for None and for text that is empty once cleaned and trimmed (``""``, ``"  "``, ``"\u200b"``)."""
    return value is None or (isinstance(value, str) and not clean_text(value).strip())

#: The longest notice number (``ocms_valid_offence_notice.notice_no`` is String(10)).
NOTICE_NO_MAX = 10
#: A normalised notice number: 1-10 upper-case letters and digits.
NOTICE_NO_PATTERN = re.compile(r"[A-Z0-9]{1,10}\Z")


def normalise_vehicle_no(value: str) -> str:
    """A vehicle number as OCMS keeps it: ``" szz 7001a"``, ``"ＳＺＺ７００１Ａ"``, ``"\ufeffSZZ\u200b7001A"`` → ``"SZZ7001A"``.

    :func:`clean_text` (NFKC, format characters removed), then every whitespace character
    (spaces, tabs, no-break spaces …) removed wherever it is, and letters upper-cased
    (NFKC again after upper-casing, so the result is stable: normalising it again changes
    nothing). Whether it is well-formed is :func:`is_vehicle_no`'s question.
    Raises TypeError for a non-string.
    """
    text = _WHITESPACE.sub("", clean_text(value)).upper()
    if not text.isascii():
        text = _WHITESPACE.sub("", clean_text(unicodedata.normalize("NFKC", text)))
    return text


def is_vehicle_no(value: str) -> bool:
    """True if ``value`` (already normalised) is letters A-Z and digits only (``SZZ7001A``; not ``SZZ-7001``)."""
    return bool(VEHICLE_NO_PATTERN.match(value))


def normalise_notice_no(value: str) -> str:
    """A notice number as OCMS keeps it: trimmed and upper-cased (``" 500400058a "`` → ``"500400058A"``).

    Format characters and compatibility forms go first (:func:`clean_text`). Whether the result is
    a well-formed notice number is :func:`is_notice_no`'s question.
    """
    return clean_text(value).strip().upper()


def is_notice_no(value: str) -> bool:
    """True if ``value`` (already normalised) is 1-10 letters A-Z and digits."""
    return bool(NOTICE_NO_PATTERN.match(value))


def normalise_code(value: str) -> str:
    """An enumerated code as OCMS keeps it: cleaned, trimmed, upper-cased (``" rd1"`` → ``"RD1"``, ``"y"`` → ``"Y"``)."""
    return clean_text(value).strip().upper()


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
