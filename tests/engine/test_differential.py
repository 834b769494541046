"""durable_rules and the rules as written give one answer, for every ruleset and every operator (issue 9).

For every ruleset in rules/ and in testdata/operators/ (each operator on each
type, boundary constants, collect and first, parameters, a table), hypothesis
generates facts of the kinds that broke the engine before — non-ASCII,
control and astral characters, quotes, backslashes, newlines, empty and long
strings, boundary and huge integers, long decimals, dates, datetimes with
offsets, nulls and absent optionals, and values that are not of the declared
type at all — and checks:

- a value that is not of its type is a FactError naming that fact, nothing else;
- otherwise the decision equals what an evaluator written here, independent of
  the engine, reads in the rules as written: the written condition tree
  (Test/All/Any/Not, Kleene logic where a comparison with an absent value is
  unknown, i.e. never holds) over the typed values, Python's re.fullmatch for
  patterns — uncached, cached (twice), explained, and in batches.
"""
from __future__ import annotations

import datetime as dt
import decimal
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.decisions.vocabulary import VOCABULARY
from engine import FactError, RuleRegistry
from engine.model import All, Any_, Not
from engine.model import Test as WrittenTest

from .conftest import RULES, TESTDATA

OPERATORS = TESTDATA / "operators"
SGT = ZoneInfo("Asia/Singapore")
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


@pytest.fixture(scope="module")
def registries():
    regs = {"rules": RuleRegistry(RULES, VOCABULARY), "operators": RuleRegistry(OPERATORS, VOCABULARY)}
    yield regs
    for r in regs.values():
        r.close()


def _names(directory):
    reg = RuleRegistry(directory, VOCABULARY)
    try:
        return reg.names()
    finally:
        reg.close()


CASES = [("rules", n) for n in _names(RULES)] + [("operators", n) for n in _names(OPERATORS)]


# ---- the rules as written, read independently of the engine --------------------------------
def written(cond, values: dict):
    """True, False or None (unknown: a comparison with an absent value) for a written condition."""
    if cond is None:
        return True
    if isinstance(cond, Not):
        inner = written(cond.item, values)
        return None if inner is None else not inner
    if isinstance(cond, (All, Any_)):
        parts = [written(c, values) for c in cond.items]
        if isinstance(cond, All):
            return False if False in parts else (None if None in parts else True)
        return True if True in parts else (None if None in parts else False)
    assert isinstance(cond, WrittenTest)
    v, op, c = values.get(cond.field), cond.op, cond.value
    if op == "present":
        return v is not None
    if op == "absent":
        return v is None
    if v is None:
        return None
    if op == "equals":
        return v == c
    if op == "not":
        return v != c
    if op == "in":
        return v in c
    if op == "not_in":
        return v not in c
    if op == "between":
        return c[0] <= v <= c[1]
    if op == "matches":
        return re.fullmatch(c, v) is not None
    return {"gt": v > c, "gte": v >= c, "lt": v < c, "lte": v <= c}[op]


def reference(rs, values: dict) -> list[str]:
    ids = [r.id for r in rs.rules if written(r.when, values) is True]
    return ids[:1] if rs.hit_policy == "first" else ids


# ---- generated facts -----------------------------------------------------------------------------
TRICKY_TEXT = ["", " ", "O", "030é", "030AB", "230EHT", "029", "MID12", "MINDEF", "a\"b", "x\\y", "line\nbreak",
               "\u2028", "\x00", "\x1f", "😀", "😀😀", "é", "\ud7ff", "'", "%", "0300000000", "030" + "x" * 70000]
TRICKY_INTS = [0, 1, -1, 2, 3, 5, 6, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 63 + 1,
               -2 ** 63, -2 ** 63 - 1, -2 ** 63 - 2, 2 ** 64, 10 ** 20, 10 ** 30, -10 ** 30]
TINY = [Decimal(0), Decimal("1e-20"), Decimal("-1e-20"), Decimal("1e-30"), Decimal("0.01"), Decimal("-0.01"), Decimal(1)]
BAD = {  # values that are not of the type (each must be a FactError naming the fact)
    "string": [1, 1.5, True, ["a"], {"a": 1}, "030\ud800", "\udfff"],
    "integer": [1.0, 1.5, "12", True, False, "x", float("nan")],
    "decimal": [float("inf"), float("-inf"), float("nan"), "Infinity", "NaN", "1e999x", "80.00 ", "1_000", "", True,
                Decimal("NaN"), Decimal("Infinity"), "0x10", [1]],
    "boolean": [1, 0, "true", "Y", "maybe"],
    "date": ["2026-01-15garbage", "2026-1-15", "2026-02-30", "20260115", "2026-01-15T08:00:00",
             dt.datetime(2026, 1, 15), 20260115, ""],
    "datetime": ["2026-01-15", "2026-01-15 08:30:00", "2026-01-15T08:30", "2026-01-15T25:00:00", "2026-01-15T08:30:00+8",
                 "2026-01-15T08:30:00garbage", dt.date(2026, 1, 15), 1700000000, ""],
}


def constants_of(rs, field: str) -> list:
    out = []

    def walk(c):
        if isinstance(c, WrittenTest):
            if c.field == field and c.value is not None:
                out.extend(c.value if isinstance(c.value, tuple) else [c.value])
        elif isinstance(c, Not):
            walk(c.item)
        elif isinstance(c, (All, Any_)):
            for i in c.items:
                walk(i)

    for r in rs.rules:
        walk(r.when)
    return out


def typed_values(ftype: str, consts: list, enum):
    """A strategy of (typed value, caller's form)."""
    if enum:
        return st.sampled_from([(v, v) for v in enum])
    if ftype == "string":
        texts = [c for c in consts if isinstance(c, str) and not c.startswith(("(", "[", "."))] + TRICKY_TEXT
        base = st.one_of(st.sampled_from(texts), st.text(max_size=12),
                         st.builds(lambda a, b: a + b, st.sampled_from(texts), st.text(max_size=3)))
        return base.map(lambda s: (s, s))
    if ftype == "integer":
        near = [c + d for c in consts for d in (-1, 0, 1)] + TRICKY_INTS
        return st.one_of(st.sampled_from(near), st.integers()).map(lambda n: (n, n))
    if ftype == "decimal":
        exact = decimal.Context(prec=200)  # the default 28 digits would round the long constants
        near = [exact.add(Decimal(c), t) for c in consts for t in TINY] + TINY + [Decimal("123456789012345678901234567890.5")]
        dec = st.one_of(st.sampled_from(near),
                        st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000))

        def forms(d):
            fl = float(d)
            opts = [st.just((d, str(d))), st.just((d, d))]
            if Decimal(repr(fl)) == d:
                opts.append(st.just((d, fl)))
            if d == d.to_integral_value() and abs(d) < 10 ** 30:
                opts.append(st.just((d, int(d))))
            return st.one_of(opts)

        return dec.flatmap(forms)
    if ftype == "boolean":
        return st.booleans().map(lambda b: (b, b))
    if ftype == "date":
        near = [c + dt.timedelta(days=k) for c in consts for k in (-1, 0, 1)] or [dt.date(2026, 1, 15)]
        day = st.one_of(st.sampled_from(near), st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)))
        return day.flatmap(lambda d: st.sampled_from([(d, d), (d, d.isoformat())]))
    if ftype == "datetime":
        near = [c + dt.timedelta(microseconds=k) for c in consts for k in (-1, 0, 1)] or [dt.datetime(2026, 1, 15)]
        when = st.one_of(st.sampled_from(near), st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)))
        offsets = st.sampled_from([None, 0, 8 * 60, -5 * 60, 5 * 60 + 30, 14 * 60, -12 * 60])

        def forms(t, minutes):
            if minutes is None:
                return st.sampled_from([(t, t), (t, t.isoformat(timespec="microseconds")), (t, t.isoformat(timespec="seconds"))
                                        if t.microsecond == 0 else (t, t)])
            aware = t.replace(tzinfo=SGT).astimezone(dt.timezone(dt.timedelta(minutes=minutes)))
            text = aware.isoformat()
            return st.sampled_from([(t, aware), (t, text), (t, text.replace("+00:00", "Z"))])

        return st.tuples(when, offsets).flatmap(lambda p: forms(*p))
    raise AssertionError(ftype)


@st.composite
def subject(draw, rs):
    """(caller's facts, typed values or None if a fact is bad, the bad facts' names)."""
    facts, typed, bad = {}, {}, []
    for name, spec in rs.facts.items():
        kind = draw(st.sampled_from(["ok"] * 8 + ["absent", "null", "bad"]))
        if kind in ("absent", "null") and not spec.required:
            typed[name] = None
            if kind == "null":
                facts[name] = None
            continue
        if kind == "bad":
            facts[name] = draw(st.sampled_from(BAD[spec.type]))
            bad.append(name)
            continue
        t, form = draw(typed_values(spec.type, constants_of(rs, name), spec.enum))
        if spec.normaliser is not None:   # a declared normaliser (normalise: code) applies before any rule looks
            t = spec.normaliser(t)
            if spec.enum and t not in spec.enum:
                bad.append(name)
        typed[name], facts[name] = t, form
    return facts, (None if bad else typed), bad


@st.composite
def parameter_overrides(draw, rs):
    out, typed = {}, dict(rs.parameters)
    for name, ptype in rs.parameter_types.items():
        if draw(st.booleans()):
            t, form = draw(typed_values(ptype, constants_of(rs, name) + [rs.parameters[name]], None))
            out[name], typed[name] = form, t
    return out, typed


@pytest.mark.parametrize("where,name", CASES, ids=[f"{w}/{n}" for w, n in CASES])
@SETTINGS
@given(data=st.data())
def test_engine_agrees_with_the_rules_as_written(registries, where, name, data):
    reg = registries[where]
    rs = reg.get(name)
    subjects = data.draw(st.lists(subject(rs), min_size=1, max_size=5), label="subjects")
    params, ptyped = data.draw(parameter_overrides(rs), label="parameters") if rs.parameters else ({}, {})
    good = []
    for facts, typed, bad in subjects:
        if typed is None:
            with pytest.raises(FactError) as exc:
                reg.evaluate(name, facts, parameters=params or None)
            assert set(bad) <= set(exc.value.fields), (facts, exc.value.problems)
            continue
        expected = reference(rs, {**ptyped, **typed} if params else {**rs.parameters, **typed})
        for mode in ({"use_cache": False}, {"use_cache": True}, {"use_cache": True}, {"explain": True}):
            d = reg.evaluate(name, facts, parameters=params or None, **mode)
            assert d.fired == expected, (mode, facts, params)
        good.append((facts, expected))
    if good:
        for use_cache in (False, True):
            batch = reg.evaluate_many(name, [f for f, _ in good], parameters=params or None, use_cache=use_cache)
            assert [d.fired for d in batch] == [e for _, e in good]
    assert reg.disagreements == 0


# ---- the pattern matcher is Python's re.fullmatch on the dialect ---------------------------------
ATOMS = ["a", "b", "é", "😀", "0", ".", "[a-c]", "[^a]", "[0-9]", "[é-ü]", "[-a]", "[]a]", "( )", "x"]


@st.composite
def patterns(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        atom = draw(st.sampled_from(ATOMS))
        if atom == "( )":
            atom = "(" + (draw(patterns(depth + 1)) if depth < 2 else "a") + ("|" + draw(st.sampled_from(ATOMS[:6])) if
                                                                             draw(st.booleans()) else "") + ")"
        atom += draw(st.sampled_from(["", "", "?", "*", "+", "{2}", "{0,3}", "{1,}", "{,2}"]))
        parts.append(atom)
    text = "".join(parts)
    if draw(st.integers(0, 4)) == 0:
        text += "|" + draw(st.sampled_from(ATOMS[:6]))
    return text


@settings(max_examples=300, deadline=None, database=None)
@given(pattern=patterns(), texts=st.lists(st.text(alphabet="abcé😀0x]-\n ü", max_size=8), min_size=1, max_size=8))
def test_pattern_matcher_is_python_fullmatch(pattern, texts):
    from engine.pattern import compile_pattern
    mine = compile_pattern(pattern)
    theirs = re.compile(pattern)
    for t in texts:
        assert mine.fullmatch(t) == (theirs.fullmatch(t) is not None), (pattern, t)
