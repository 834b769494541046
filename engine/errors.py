"""Errors of the rule engine: one root, a load-time branch and a call-time branch."""
from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Root of every error the engine raises."""


@dataclass
class RulesError:
    """One located problem in a rules (or fixture) file, found at load time."""

    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str = ""
    ruleset: str | None = None
    rule: str | None = None
    severity: str = "error"  # or "warning": reported by `ocms rules check`, never refuses the file
    excerpt: str = ""  # the offending source line, shown under the message (YAML syntax errors)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        ctx = []
        if self.ruleset:
            ctx.append(f"ruleset {self.ruleset!r}")
        if self.rule:
            ctx.append(f"rule {self.rule!r}")
        prefix = f"{where}: " + ("warning: " if self.severity == "warning" else "") + (", ".join(ctx) + ": " if ctx else "")
        text = f"{prefix}{self.message} [{self.code}]"
        if self.excerpt:
            text += f"\n    {self.line:>4} | {self.excerpt}\n         | {' ' * max(self.column - 1, 0)}^"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        return {
            "file": self.file, "line": self.line, "column": self.column,
            "code": self.code, "message": self.message, "hint": self.hint,
            "ruleset": self.ruleset, "rule": self.rule,
            **({"severity": self.severity} if self.severity != "error" else {}),
            **({"excerpt": self.excerpt} if self.excerpt else {}),
        }


class RulesLoadError(EngineError):
    """A rules directory (or file) failed validation; carries every error found."""

    def __init__(self, errors: list[RulesError]):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} error(s) in rules:\n" + "\n".join(str(e) for e in self.errors))


@dataclass
class FactProblem:
    """One bad fact: its name, the declared type and what was received."""

    fact: str
    message: str
    expected: str | None = None
    got: str | None = None

    def to_dict(self) -> dict:
        return {"fact": self.fact, "message": self.message, "expected": self.expected, "got": self.got}


class FactError(EngineError, ValueError):
    """Facts given to evaluate() do not match the ruleset's declared facts."""

    def __init__(self, ruleset: str, problems: list[FactProblem]):
        self.ruleset = ruleset
        self.problems = list(problems)
        detail = "; ".join(f"{p.fact}: {p.message}" for p in self.problems)
        super().__init__(f"bad facts for ruleset {ruleset!r}: {detail}")

    @property
    def fields(self) -> list[str]:
        return [p.fact for p in self.problems]


class UnknownRulesetError(EngineError, KeyError):
    """No ruleset of that name is loaded."""

    def __init__(self, name: str, known: list[str] | None = None):
        self.name = name
        self.known = sorted(known or [])
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown ruleset {self.name!r}" + (f" (loaded: {', '.join(self.known)})" if self.known else "")


class EngineDisagreement(EngineError):
    """durable_rules and the rules as written (the reference evaluator) fired different rules.

    A bug in the service, never in the rules: the decision is refused (the
    HTTP layer answers OCMS-5000), never cached, logged with the ruleset and
    facts, and counted (``RuleRegistry.cache_stats()[name]["disagreements"]``).
    Attributes: ruleset, facts (JSON form of the first subject that
    disagreed), engine_fired and expected (rule ids), count (subjects of the
    call that disagreed).
    """

    def __init__(self, message: str, ruleset: str | None = None, facts: dict | None = None,
                 engine_fired: list | None = None, expected=None, count: int = 1):
        super().__init__(message)
        self.ruleset, self.facts, self.engine_fired, self.expected, self.count = ruleset, facts, engine_fired, expected, count



def did_you_mean(word: str, options) -> str:
    """' (did you mean 'x'?)' for the closest of options, or ''."""
    import difflib
    close = difflib.get_close_matches(word, [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
