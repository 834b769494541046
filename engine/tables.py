"""Static checks of decision tables: gaps, overlaps, rows subsumed by earlier rows.

A table's rows are rules over a few input columns. Each input column has a
*domain*: the values it can take. It is declared when the fact has an
``enum``, is a boolean, or the table names a list for it under ``domains:``;
an optional fact adds "absent". For any other column the domain is split into
the classes its cells can tell apart: each value a cell names, the values
between and beyond them (numbers, dates) and "any other value" (text). Within
one class every cell of the column answers the same, so checking one
representative per class checks every value (the check is exact, not
sampled).

A row is then a *cube*: per column, the set of classes its cell accepts. On
cubes (tuples of frozensets):

- gaps: the domain minus the union of the rows (cube subtraction);
- overlaps: two rows whose cubes intersect and whose outcomes differ;
- subsumed rows: a row whose cube lies inside the union of earlier rows, so
  under hit policy ``first`` it can never fire.

The checks read the *normal* conditions (engine.model Leaf/And/Or) and decide
them with the reference evaluator (engine.explain.holds), so they agree with
what the engine decides. Cells that use ``matches`` (patterns) are not
analysed: the table is skipped (``TableCheck.skipped`` says why).

Implements the "decision tables checked statically" part of issue 15.
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Sequence

from .explain import holds
from .model import And, Leaf, Or

MAX_CUBES = 20000  # pieces kept while subtracting; a bigger table is reported as not checked
MAX_EXAMPLES = 3


class _Any:
    """Every value of a column (an example's column that a gap does not depend on)."""

    def __repr__(self) -> str:
        return "<any value>"


ANY = _Any()


class _Other:
    """'Any other value' of a text column: equal to no value a cell names."""

    def __repr__(self) -> str:
        return "<any other value>"


OTHER = _Other()


@dataclass(frozen=True)
class Column:
    """One input column: its fact, type, and declared domain (None: split by the cells)."""

    name: str
    type: str
    optional: bool = False
    domain: tuple | None = None


@dataclass(frozen=True)
class Row:
    """One row: its id, the normal condition of each input cell (TRUE for '*'), and an outcome key.

    ``outcome`` is any hashable value; two rows with equal outcomes never
    make an overlap finding.
    """

    id: str
    cells: tuple
    outcome: Any = None


@dataclass
class Finding:
    """One problem of a table.

    kind: 'gap' | 'overlap' | 'subsumed' | 'never_matches'.
    rows: indices (into the table's rows) the finding is about: for an
    overlap (earlier, later); for a subsumed row (row, *earlier rows covering it).
    examples: input combinations, each {column: value} (OTHER for "any other
    value", None for absent, ANY for a column a gap does not depend on).
    count: for a gap, how many disjoint groups of uncovered combinations
    there are (each example is the first of one group).
    """

    kind: str
    rows: tuple = ()
    examples: list = field(default_factory=list)
    count: int = 0


@dataclass
class TableCheck:
    """The findings of one table, and why it was not checked if it was not."""

    findings: list = field(default_factory=list)
    skipped: str = ""
    gap_values: list = field(default_factory=list)  # per uncovered piece: per column, the values it holds

    def uncovered(self) -> set[tuple]:
        """Every uncovered combination of the candidate values (column order), for tests and tools."""
        return {combo for piece in self.gap_values for combo in itertools.product(*piece)}


def _leaves(node, out: list) -> list:
    if isinstance(node, Leaf):
        out.append(node)
    elif isinstance(node, (And, Or)):
        for i in node.items:
            _leaves(i, out)
    return out


def _step(ftype: str, a, b=None):
    """A value just below a (b None), or one strictly between a and b (None if there is none)."""
    if b is None:
        if ftype == "integer":
            return a - 1
        if ftype == "decimal":
            return a - 1
        if ftype == "date":
            return a - dt.timedelta(days=1)
        return a - dt.timedelta(seconds=1)
    if ftype == "integer":
        return a + 1 if a + 1 < b else None
    if ftype == "decimal":
        return (a + b) / 2
    if ftype == "date":
        return a + (b - a) // 2 if (b - a).days > 1 else None
    mid = a + (b - a) / 2
    return mid if a < mid < b else None


def _candidates(col: Column, cells: Sequence) -> list | None:
    """Values that together stand for every class of the column (None: not analysable)."""
    if col.domain is not None:
        values = list(col.domain)
    elif col.type == "boolean":
        values = [True, False]
    else:
        consts = []
        for cell in cells:
            for leaf in _leaves(cell, []):
                if leaf.op == "mt":
                    return None
                if leaf.op not in ("null", "notnull"):
                    consts.append(leaf.value)
        consts = sorted(set(consts))
        if col.type == "string":
            values = consts + [OTHER]
        else:
            values = []
            if consts:
                values.append(_step(col.type, consts[0]))
            for a, b in zip(consts, consts[1:] + [None]):
                values.append(a)
                extra = _above(col.type, a) if b is None else _step(col.type, a, b)
                if extra is not None:
                    values.append(extra)
            if not values:
                values = [_zero(col.type)]
    if col.optional:
        values.append(None)
    return values


def _above(ftype: str, a):
    """A value just above a."""
    if ftype in ("integer", "decimal"):
        return a + 1
    return a + (dt.timedelta(days=1) if ftype == "date" else dt.timedelta(seconds=1))


def _zero(ftype: str):
    return {"integer": 0, "decimal": Decimal(0), "date": dt.date(2000, 1, 1),
            "datetime": dt.datetime(2000, 1, 1)}.get(ftype, OTHER)


@dataclass
class _Classes:
    """The classes of one column: a representative and every candidate value it stands for."""

    reps: list
    members: list


def _classes(col: Column, cells: Sequence, values: list) -> tuple[_Classes, list[frozenset]]:
    """Group candidate values by how every cell answers; each cell -> the classes it accepts."""
    by_sig: dict[tuple, int] = {}
    reps, members = [], []
    for v in values:
        sig = tuple(holds(c, {col.name: v}) for c in cells)
        i = by_sig.get(sig)
        if i is None:
            by_sig[sig] = i = len(reps)
            reps.append(v)
            members.append([v])
        else:
            members[i].append(v)
    accepted = [frozenset(i for i, rep in enumerate(reps) if holds(c, {col.name: rep})) for c in cells]
    return _Classes(reps, members), accepted


class Alike(tuple):
    """Values a table cannot tell apart (every cell answers the same for each): shown as 'OWNER|DIRECTOR|absent'."""


def _alike(cl: _Classes, classes: Iterable[int]):
    members = [v for i in sorted(classes) for v in cl.members[i]]
    return members[0] if len(members) == 1 else Alike(members)


# ---- cube algebra ---------------------------------------------------------------
def _meet(a: tuple, b: tuple) -> tuple | None:
    out = tuple(x & y for x, y in zip(a, b))
    return None if any(not x for x in out) else out


def _minus(a: tuple, b: tuple) -> list[tuple]:
    """a \\ b as disjoint cubes."""
    if _meet(a, b) is None:
        return [a]
    out = []
    prefix = list(a)
    for i, (x, y) in enumerate(zip(a, b)):
        rest = x - y
        if rest:
            out.append(tuple(prefix[:i]) + (rest,) + tuple(a[i + 1:]))
        prefix[i] = x & y
    return out


def _subtract_all(cubes: list[tuple], b: tuple) -> list[tuple]:
    out = []
    for c in cubes:
        out.extend(_minus(c, b))
        if len(out) > MAX_CUBES:
            raise _TooLarge
    return out


def _within(a: tuple, b: tuple) -> bool:
    return all(x <= y for x, y in zip(a, b))


class _TooLarge(Exception):
    pass


def check_table(columns: Sequence[Column], rows: Sequence[Row], hit_policy: str = "first",
                complete: bool | None = None) -> TableCheck:
    """Gaps, overlaps and subsumed rows of one decision table.

    ``hit_policy``: 'first' (rows tried in order; an earlier row strictly
    inside a later one is an intended exception and not an overlap; partial
    overlaps are reported), 'unique' (every overlap of rows with different
    outcomes is reported) or 'collect' (every matching row applies: overlaps
    and subsumed rows are not findings). ``complete``: False skips the gap
    check (the ruleset's default answers the rest on purpose).
    Returns a TableCheck; findings in order: never-matching and subsumed rows
    and overlaps by row, then the gap.
    """
    result = TableCheck()
    if not rows:
        return result
    classes: list[_Classes] = []
    cubes_by_col: list[list[frozenset]] = []
    for j, col in enumerate(columns):
        cells = [r.cells[j] for r in rows]
        values = _candidates(col, cells)
        if values is None:
            result.skipped = f"column {col.name!r} is compared with a pattern (matches), which is not analysed"
            return result
        cl, accepted = _classes(col, cells, values)
        classes.append(cl)
        cubes_by_col.append(accepted)
    cubes = [tuple(cubes_by_col[j][i] for j in range(len(columns))) for i in range(len(rows))]
    universe = tuple(frozenset(range(len(cl.reps))) for cl in classes)

    def example(cube: tuple) -> dict:
        return {col.name: _alike(classes[j], cube[j]) for j, col in enumerate(columns)}

    def examples(pieces: list[tuple]) -> list[dict]:
        """One example per piece (a column the piece does not narrow is ANY), then more from the first pieces."""
        out = [{col.name: ANY if p[j] == universe[j] else _alike(classes[j], p[j]) for j, col in enumerate(columns)}
               for p in pieces[:MAX_EXAMPLES]]
        return out

    try:
        subsumed: set[int] = set()
        for i, cube in enumerate(cubes):
            if any(not s for s in cube):
                result.findings.append(Finding("never_matches", (i,)))
                subsumed.add(i)
                continue
            if hit_policy == "collect":
                continue
            live = [cube]
            covering = []
            for j in range(i):
                if j in subsumed or _meet(cubes[j], cube) is None:
                    continue
                covering.append(j)
                live = _subtract_all(live, cubes[j])
                if not live:
                    break
            if not live:
                subsumed.add(i)
                result.findings.append(Finding("subsumed", (i, *covering), [example(cube)]))
                continue
            for j in range(i):
                if j in subsumed or rows[j].outcome == rows[i].outcome:
                    continue
                both = _meet(cubes[j], cube)
                if both is None:
                    continue
                if hit_policy == "first" and _within(cubes[j], cube):
                    continue  # an exception written before the general row: the order says what is meant
                result.findings.append(Finding("overlap", (j, i), [example(both)]))
        if complete is not False:
            gaps = [universe]
            for cube in cubes:
                if all(cube):
                    gaps = _subtract_all(gaps, cube)
                if not gaps:
                    break
            if gaps:
                result.findings.append(Finding("gap", (), examples(gaps), len(gaps)))
                result.gap_values = [[[v for i in sorted(p[j]) for v in classes[j].members[i]] for j in range(len(columns))]
                                     for p in gaps]
    except _TooLarge:
        result.findings = []
        result.skipped = f"the table has too many combinations to check (more than {MAX_CUBES} pieces)"
    return result


def brute_force(columns: Sequence[Column], rows: Sequence[Row], values: Sequence[Iterable]) -> dict:
    """Reference for tests: enumerate every combination of the given values per column.

    Returns {'gaps': [combo...], 'overlaps': {(j, i)...}, 'subsumed': {i...}}
    over the combinations; a combo is a tuple of values in column order.
    """
    combos = list(itertools.product(*[list(v) for v in values]))
    match = [[all(holds(r.cells[j], {c.name: combo[j]}) for j, c in enumerate(columns)) for combo in combos]
             for r in rows]
    gaps = [combo for k, combo in enumerate(combos) if not any(m[k] for m in match)]
    overlaps = {(j, i) for i in range(len(rows)) for j in range(i)
                if rows[i].outcome != rows[j].outcome and any(a and b for a, b in zip(match[j], match[i]))}
    subsumed = set()
    for i in range(len(rows)):
        if all(not m or any(match[j][k] for j in range(i)) for k, m in enumerate(match[i])):
            subsumed.add(i)
    return {"gaps": gaps, "overlaps": overlaps, "subsumed": subsumed, "match": match, "combos": combos}


def show(v: Any) -> str:
    """A cell value as an analyst reads it in a finding."""
    if v is OTHER:
        return "any other value"
    if v is ANY:
        return "any value"
    if isinstance(v, Alike):
        return "|".join(show(x) for x in v)
    if v is None:
        return "absent"
    if isinstance(v, bool):
        return "true" if v else "false"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


__all__ = ["Column", "Row", "Finding", "TableCheck", "check_table", "brute_force", "ANY", "Alike", "OTHER", "show"]
