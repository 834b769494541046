"""The parsed form of a ruleset: facts, conditions, rules, outcomes.

Conditions exist in two shapes: the *written* tree (Test/All/Any/Not, what the
analyst wrote, with positions) and the *normal* tree (Leaf/And/Or, negations
pushed down to the leaves, lists and parameters resolved). The normal tree is
what compiles to durable_rules and what the reference evaluator runs, so both
agree by construction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .decision import Action

FACT_TYPES = ("string", "integer", "decimal", "boolean", "date", "datetime")
HIT_POLICIES = ("first", "collect")

# operators an analyst may write, per fact type
OPERATORS_BY_TYPE = {
    "string": {"equals", "not", "in", "not_in", "matches", "present", "absent"},
    "integer": {"equals", "not", "in", "not_in", "gt", "gte", "lt", "lte", "between", "present", "absent"},
    "decimal": {"equals", "not", "in", "not_in", "gt", "gte", "lt", "lte", "between", "present", "absent"},
    "date": {"equals", "not", "in", "not_in", "gt", "gte", "lt", "lte", "between", "present", "absent"},
    "datetime": {"equals", "not", "in", "not_in", "gt", "gte", "lt", "lte", "between", "present", "absent"},
    "boolean": {"equals", "not", "present", "absent"},
}
ALL_OPERATORS = sorted(set().union(*OPERATORS_BY_TYPE.values()))


@dataclass(frozen=True)
class FactSpec:
    """A declared input of a ruleset."""

    name: str
    type: str
    required: bool = True
    enum: tuple | None = None
    description: str = ""
    #: The name of the normaliser applied to a string value before it is checked and compared (``normalise:
    #: vehicle_no``), and the function itself, resolved at load time from the application's vocabulary.
    normalise: str | None = None
    normaliser: Callable[[str], str] | None = field(default=None, compare=False, repr=False)


# ---- written conditions -------------------------------------------------
@dataclass(frozen=True)
class Test:
    """`field op value` as written, e.g. computer_rule_code equals 20412.

    ``value`` is the typed constant (a tuple for in/not_in and between);
    ``list_name`` is the named list an in/not_in names (None for an inline
    list); ``param`` the parameter name a value was written as
    (``{param: name}``): a name, or for between a (low, high) pair of names or
    None. Both only serve to show the condition as written.
    """

    field: str
    op: str
    value: Any
    line: int = 0
    column: int = 0
    list_name: str | None = None
    param: Any = None


@dataclass(frozen=True)
class All:
    items: tuple


@dataclass(frozen=True)
class Any_:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: Any


# ---- normal conditions ---------------------------------------------------
@dataclass(frozen=True)
class Leaf:
    """An engine-level comparison: op in eq neq lt lte gt gte mt null notnull.

    ``value`` is the typed constant as written (str, int, Decimal, bool, date,
    naive business datetime) or, for mt, the pattern text.
    """

    field: str
    op: str
    value: Any = None

    def describe(self) -> str:
        words = {"eq": "==", "neq": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "mt": "matches"}
        if self.op == "null":
            return f"{self.field} is absent"
        if self.op == "notnull":
            return f"{self.field} is present"
        return f"{self.field} {words[self.op]} {show_value(self.value)}"


def show_value(v: Any) -> str:
    """A typed value as an analyst wrote it: 'O', 80.00, 2026-01-15, 2026-01-15T08:30:00."""
    if isinstance(v, (str, bool)) or v is None:
        return repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


TRUE = And(())


@dataclass(frozen=True)
class Then:
    """What a rule (or the default) decides."""

    outcome: str | None = None
    code: str | None = None
    message: str | None = None
    outputs: dict = field(default_factory=dict)
    actions: tuple[Action, ...] = ()

    def to_dict(self) -> dict:
        d = {k: v for k, v in (("outcome", self.outcome), ("code", self.code), ("message", self.message)) if v is not None}
        d.update(self.outputs)
        if self.actions:
            d["actions"] = [a.to_dict() for a in self.actions]
        return d


@dataclass
class Rule:
    """One rule (or one decision-table row)."""

    id: str
    when: Any  # written condition or None (always)
    then: Then
    description: str = ""
    line: int = 0
    column: int = 0
    normal: Any = None  # normal condition, filled by the compiler


@dataclass
class Ruleset:
    """A whole ruleset file, validated."""

    name: str
    version: str
    hash: str
    file: str
    hit_policy: str
    facts: dict[str, FactSpec]
    rules: list[Rule]
    default: Then
    title: str = ""
    description: str = ""
    source: str = ""
    lists: dict[str, list] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_types: dict[str, str] = field(default_factory=dict)
    warnings: list = field(default_factory=list)  # RulesError of severity "warning" (table checks)

    def rule_ids(self) -> list[str]:
        return [r.id for r in self.rules]

    def summary(self) -> dict:
        """A JSON-able description (for GET /v1/rulesets/<name>)."""
        return {
            "name": self.name, "title": self.title, "version": self.version, "hash": self.hash,
            "source": self.source, "hitPolicy": self.hit_policy, "file": self.file,
            "facts": {n: {"type": f.type, "required": f.required, **({"enum": list(f.enum)} if f.enum else {})}
                      for n, f in self.facts.items()},
            "lists": self.lists, "parameters": _jsonable(self.parameters),
            "rules": [{"id": r.id, "description": r.description, "then": _jsonable(r.then.to_dict())} for r in self.rules],
            "default": _jsonable(self.default.to_dict()),
        }


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v
