"""NRIC / FIN check letters and passport numbers (api/furnish/id_numbers.py), over whole classes of input."""
from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.furnish.id_numbers import SERIES, check_letter, validate_id_number

DIGITS = st.text(alphabet="0123456789", min_size=7, max_size=7)
NRIC_PREFIXES = st.sampled_from("ST")
FIN_PREFIXES = st.sampled_from("FGM")


@pytest.mark.parametrize("id_type, number", [
    ("NRIC", "S1234567D"), ("NRIC", "T1234567J"), ("FIN", "F1234567N"), ("FIN", "G1234567X"), ("FIN", "M1234567K"),
    ("NRIC", "S0000001I"), ("FIN", "M0000000T"),
])
def test_published_examples_are_valid(id_type, number):
    assert validate_id_number(id_type, number) == number


def test_the_spec_example_has_a_wrong_check_letter():
    # OCMS 14 tab 4's payload box shows S1234567A: its check letter is D.
    with pytest.raises(ValueError, match="check letter"):
        validate_id_number("NRIC", "S1234567A")


@given(prefix=NRIC_PREFIXES, digits=DIGITS)
def test_nric_with_its_check_letter_is_valid_and_every_other_letter_is_not(prefix, digits):
    good = check_letter(prefix, digits)
    assert validate_id_number("NRIC", f"{prefix}{digits}{good}") == f"{prefix}{digits}{good}"
    for letter in string.ascii_uppercase.replace(good, ""):
        with pytest.raises(ValueError, match="check letter"):
            validate_id_number("NRIC", f"{prefix}{digits}{letter}")


@given(prefix=FIN_PREFIXES, digits=DIGITS, data=st.data())
def test_fin_with_its_check_letter_is_valid_and_a_wrong_one_is_not(prefix, digits, data):
    good = check_letter(prefix, digits)
    assert validate_id_number("FIN", f"{prefix}{digits}{good}") == f"{prefix}{digits}{good}"
    bad = data.draw(st.sampled_from(string.ascii_uppercase.replace(good, "")))
    with pytest.raises(ValueError):
        validate_id_number("FIN", f"{prefix}{digits}{bad}")


@given(prefix=st.sampled_from(sorted(SERIES)), digits=DIGITS, position=st.integers(0, 6), delta=st.integers(1, 9))
def test_any_single_wrong_digit_changes_the_check_letter(prefix, digits, position, delta):
    changed = digits[:position] + str((int(digits[position]) + delta) % 10) + digits[position + 1:]
    assert check_letter(prefix, changed) != check_letter(prefix, digits)


@given(prefix=NRIC_PREFIXES, digits=DIGITS, pad=st.text(" \t", max_size=3))
def test_case_and_surrounding_blanks_do_not_matter(prefix, digits, pad):
    number = f"{prefix}{digits}{check_letter(prefix, digits)}"
    assert validate_id_number("nric", f"{pad}{number.lower()}{pad}") == number


@given(prefix=FIN_PREFIXES, digits=DIGITS)
def test_an_nric_type_refuses_fin_prefixes_and_the_other_way_round(prefix, digits):
    fin = f"{prefix}{digits}{check_letter(prefix, digits)}"
    with pytest.raises(ValueError, match="starts with S or T"):
        validate_id_number("NRIC", fin)
    nric = f"S{digits}{check_letter('S', digits)}"
    with pytest.raises(ValueError, match="starts with F or G or M"):
        validate_id_number("FIN", nric)


@settings(max_examples=300)
@given(id_type=st.sampled_from(["NRIC", "FIN", "PASSPORT", "nric", "UEN", "", "X" * 50]), text=st.text(max_size=40))
def test_any_text_is_either_a_valid_number_or_a_value_error(id_type, text):
    try:
        out = validate_id_number(id_type, text)
    except ValueError as e:
        assert str(e)
        return
    assert out == text.strip().upper()
    if id_type.upper() in ("NRIC", "FIN"):
        assert len(out) == 9 and check_letter(out[0], out[1:8]) == out[8]
    else:
        assert 5 <= len(out) <= 20 and out.isalnum() and out.isascii()


@pytest.mark.parametrize("number, ok", [("E1234567", True), ("K1234", True), ("ABCD", False), ("A" * 21, False),
                                        ("E12 34567", False), ("E1234567!", False)])
def test_passport_numbers(number, ok):
    if ok:
        assert validate_id_number("PASSPORT", number) == number
    else:
        with pytest.raises(ValueError):
            validate_id_number("PASSPORT", number)


def test_check_letter_refuses_what_is_not_an_nric():
    with pytest.raises(ValueError):
        check_letter("A", "1234567")
    with pytest.raises(ValueError):
        check_letter("S", "123456")
    with pytest.raises(ValueError):
        check_letter("S", "12345６7")   # a full-width digit is not an ASCII digit
