"""What evaluate() returns: a Decision with its actions and, on request, a trace."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Action:
    """An action a rule asks the application to apply, e.g. suspend(suspension_type=PS)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "params": dict(self.params)}


@dataclass(frozen=True)
class TraceStep:
    """How one rule fared: matched, or the first condition that failed (or not tried).

    ``failed_condition`` is that condition as written in the YAML (operator,
    list and parameter names: ``vehicle_registration_type not_in
    local_vehicle_types``), ``line`` its line in the ruleset file, ``actual``
    the fact's value (JSON form; {fact: value} for a condition over several);
    ``compiled_condition`` the engine's form of the first failing comparison
    (``vehicle_registration_type != 'S'``), kept for whoever debugs the engine.
    """

    rule: str
    matched: bool
    tried: bool = True
    failed_condition: str | None = None
    actual: Any = None
    line: int | None = None
    compiled_condition: str | None = None

    def to_dict(self) -> dict:
        """``{rule, matched, tried[, failedCondition, actual, line, compiledCondition]}``."""
        d = {"rule": self.rule, "matched": self.matched, "tried": self.tried}
        if self.failed_condition is not None:
            d["failedCondition"] = self.failed_condition
            d["actual"] = self.actual
            if self.line:
                d["line"] = self.line
            if self.compiled_condition is not None:
                d["compiledCondition"] = self.compiled_condition
        return d


@dataclass
class Decision:
    """The engine's answer for one set of facts."""

    ruleset: str
    version: str
    hash: str
    outcome: str | None
    code: str | None
    message: str | None
    outputs: dict[str, Any]
    actions: list[Action]
    fired: list[str]
    facts: dict[str, Any]
    default_applied: bool = False
    results: list[dict[str, Any]] = field(default_factory=list)
    trace: list[TraceStep] | None = None
    parameters: dict[str, Any] | None = None  # parameter overrides the caller gave (the decision log keeps them)

    def to_dict(self) -> dict:
        d = {
            "ruleset": self.ruleset,
            "version": self.version,
            "hash": self.hash,
            "outcome": self.outcome,
            "code": self.code,
            "message": self.message,
            "outputs": self.outputs,
            "actions": [a.to_dict() for a in self.actions],
            "firedRules": list(self.fired),
            "defaultApplied": self.default_applied,
            "facts": self.facts,
        }
        if len(self.results) > 1:
            d["results"] = self.results
        if self.trace is not None:
            d["trace"] = [t.to_dict() for t in self.trace]
        return d
