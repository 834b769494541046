"""Identity numbers of a furnished driver or hirer: NRIC, FIN and passport (OCMS 14 tab 4 step 5, format validation).

NRIC and FIN are nine characters: a prefix letter, seven digits and a check letter::

    total  = 2·d1 + 7·d2 + 6·d3 + 5·d4 + 4·d5 + 3·d6 + 2·d7 + offset
    letter = TABLE[total mod 11]

    prefix   offset  TABLE           what
    S, T     0, 4    JZIHGFEDCBA     NRIC (citizens and permanent residents, born before / from 2000)
    F, G     0, 4    XWUTRQPNMLK     FIN (foreigners, issued before / from 2000)
    M        3       XWUTRQPNJLK     FIN (issued from 2022)

11 is prime and no weight is a multiple of it, so any single wrong digit changes
the letter. Passport numbers have no check letter: 5 to 20 letters and digits.
Input is trimmed and upper-cased first (a caller may send ``s1234567d``).
"""
from __future__ import annotations

import re

ID_TYPES = ("NRIC", "FIN", "PASSPORT")

WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
#: prefix -> (offset, check-letter table)
SERIES = {
    "S": (0, "JZIHGFEDCBA"), "T": (4, "JZIHGFEDCBA"),
    "F": (0, "XWUTRQPNMLK"), "G": (4, "XWUTRQPNMLK"),
    "M": (3, "XWUTRQPNJLK"),
}
#: The prefixes each ID type may have.
PREFIXES = {"NRIC": "ST", "FIN": "FGM"}

_NRIC_SHAPE = re.compile(r"[A-Z][0-9]{7}[A-Z]")
_PASSPORT_SHAPE = re.compile(r"[A-Z0-9]{5,20}")


def check_letter(prefix: str, digits: str) -> str:
    """The check letter of an NRIC/FIN with ``prefix`` (S T F G M) and seven ``digits``.

    Raises ValueError for another prefix or anything but seven ASCII digits.
    """
    if prefix not in SERIES:
        raise ValueError(f"an NRIC/FIN starts with one of {', '.join(SERIES)}, not {prefix!r}")
    if len(digits) != 7 or not all("0" <= d <= "9" for d in digits):
        raise ValueError("an NRIC/FIN has seven digits between its letters")
    offset, table = SERIES[prefix]
    return table[(sum(int(d) * w for d, w in zip(digits, WEIGHTS)) + offset) % 11]


def validate_id_number(id_type: str, id_no: str) -> str:
    """Return ``id_no`` normalised (trimmed, upper-case) if it is a valid number of ``id_type``.

    ``id_type`` is one of :data:`ID_TYPES` (any case). NRIC: S or T series with
    the right check letter; FIN: F, G or M series with the right check letter;
    PASSPORT: 5-20 letters and digits. Raises ValueError with a message for the
    caller (it names what is wrong, never echoes more than the number given).
    """
    kind = (id_type or "").strip().upper()
    if kind not in ID_TYPES:
        raise ValueError(f"idType must be one of {', '.join(ID_TYPES)}")
    value = (id_no or "").strip().upper()
    if kind == "PASSPORT":
        if not _PASSPORT_SHAPE.fullmatch(value):
            raise ValueError("a passport number has 5 to 20 letters and digits")
        return value
    if not _NRIC_SHAPE.fullmatch(value):
        raise ValueError(f"an {kind} is a letter, seven digits and a check letter (e.g. S1234567D)")
    if value[0] not in PREFIXES[kind]:
        raise ValueError(f"an {kind} starts with {' or '.join(PREFIXES[kind])}")
    if check_letter(value[0], value[1:8]) != value[8]:
        raise ValueError(f"the check letter of this {kind} is wrong")
    return value


__all__ = ["ID_TYPES", "PREFIXES", "SERIES", "check_letter", "validate_id_number"]
