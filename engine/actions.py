"""The action vocabulary: which actions rules may ask for, and their arguments.

The application registers its actions (name, arguments with types); the loader
checks every rule's actions against it, so a typo is a load error, not a
runtime surprise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

PARAM_TYPES = ("string", "integer", "decimal", "boolean", "date", "mapping", "list", "any")


@dataclass(frozen=True)
class ActionParam:
    """One argument of an action."""

    type: str = "string"
    required: bool = True
    enum: tuple | None = None
    description: str = ""


@dataclass(frozen=True)
class ActionSpec:
    """An action the application knows how to apply."""

    name: str
    params: dict[str, ActionParam] = field(default_factory=dict)
    description: str = ""
    open_params: bool = False  # accepts arbitrary extra arguments (e.g. field=value maps)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "decimal":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "date":
        return isinstance(value, str) or hasattr(value, "isoformat")
    if kind == "mapping":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    return False


class ActionVocabulary:
    """What the application registers with the engine: ActionSpec by name, and fact normalisers by name.

    ``normalisers``: name -> function(str) -> str that a ruleset may name on a string fact
    (``vehicle_no: {type: string, normalise: vehicle_no}``); the fact's value goes through it
    before it is checked against its enum and compared, on every path (intake, jobs, the dry
    run, fixtures). The engine knows none itself: the application injects them (engine/
    imports nothing of the application).
    """

    def __init__(self, specs: Iterable[ActionSpec] = (), normalisers: dict[str, Callable[[str], str]] | None = None):
        self._specs: dict[str, ActionSpec] = {}
        self.normalisers: dict[str, Callable[[str], str]] = dict(normalisers or {})
        for s in specs:
            self.register(s)

    def register(self, spec: ActionSpec) -> None:
        self._specs[spec.name] = spec

    def names(self) -> list[str]:
        return sorted(self._specs)

    def get(self, name: str) -> ActionSpec | None:
        return self._specs.get(name)

    def check(self, name: str, args: dict[str, Any]) -> list[tuple[str | None, str, str]]:
        """Return (argument, message, hint) for every problem with this action call."""
        spec = self._specs.get(name)
        if spec is None:
            return [(None, f"unknown action {name!r}", f"known actions: {', '.join(self.names()) or '(none registered)'}")]
        problems = []
        for arg, value in args.items():
            p = spec.params.get(arg)
            if p is None:
                if not spec.open_params:
                    problems.append((arg, f"action {name!r} has no argument {arg!r}",
                                     f"arguments of {name}: {', '.join(sorted(spec.params)) or '(none)'}"))
                continue
            if not _type_ok(p.type, value):
                problems.append((arg, f"argument {arg!r} of action {name!r} must be {p.type}, got {value!r}", ""))
            elif p.enum is not None and value not in p.enum:
                problems.append((arg, f"argument {arg!r} of action {name!r} must be one of {list(p.enum)}, got {value!r}", ""))
        for arg, p in spec.params.items():
            if p.required and arg not in args:
                problems.append((arg, f"action {name!r} needs argument {arg!r}", f"add {arg}: <{p.type}>"))
        return problems
