"""The rules in service: load a directory, evaluate facts, reload atomically.

`RuleRegistry.evaluate` is the one way a decision is made — HTTP endpoints,
batch jobs, the CLI and the fixture runner all call it.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from .actions import ActionVocabulary
from .compiler import ENGINE_MAX_ALTERNATIVES, compile_ruleset, needs_probe
from .decision import Decision, TraceStep
from .encoding import Encoding
from .errors import EngineDisagreement, FactError, RulesError, RulesLoadError, UnknownRulesetError
from .explain import condition_text, first_failure, key_decider, leaves_of, predicate_key, written_failure
from .facts import BUSINESS_TIMEZONE, FactChecker, business_zone, decimal_json
from .loader import directory_hash, load_directory
from .model import Ruleset
from .runtime import EngineRuleset, Retired, probe_register, try_register

log = logging.getLogger("engine")
_EXPECTED_LIMIT = 65536  # truth vectors whose reference answer is memoised per ruleset (then the memo starts again)


class _Compiled:
    """A ruleset in service: its engine handle, the fields it reads, a decision cache."""

    def __init__(self, rs: Ruleset, definition: dict, cache_size: int, zone=None):
        self.ruleset = rs
        self.engine = EngineRuleset(rs, definition)
        leaves: dict = {}
        for r in rs.rules:
            leaves_of(r.normal, leaves)
        self.cache_key = predicate_key(list(leaves))
        self._decide_key = key_decider(rs, list(leaves))
        self._expected: dict[tuple, tuple] = {}
        self.checker = FactChecker(rs, zone, Encoding(rs))
        self._built: dict[tuple, tuple] = {}  # fired rule indices -> decision parts (facts aside)
        self.cache_size = cache_size
        self._cache: OrderedDict = OrderedDict()
        self._cache_lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.disagreements = 0

    def expected(self, key: tuple) -> tuple:
        """The rule indices the rules as written fire for a truth vector (memoised: a pure function)."""
        got = self._expected.get(key)
        if got is None:
            got = self._decide_key(key)
            if len(self._expected) >= _EXPECTED_LIMIT:
                self._expected.clear()
            self._expected[key] = got
        return got

    def cache_get(self, key):
        if not self.cache_size:
            return None
        with self._cache_lock:
            v = self._cache.get(key)
            if v is not None:
                self._cache.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return v

    def cache_put(self, key, fired: tuple) -> None:
        if not self.cache_size:
            return
        with self._cache_lock:
            self._cache[key] = fired
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


@dataclass
class _Active:
    directory: str
    dir_hash: str
    compiled: dict[str, _Compiled]
    loaded_at: str
    generation: int


@dataclass
class Rejected:
    """A reload that was refused, kept for GET /v1/rulesets."""

    at: str
    directory: str
    errors: list[RulesError] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"at": self.at, "directory": self.directory, "errors": [e.to_dict() for e in self.errors]}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def compile_directory(directory: str | Path, actions: ActionVocabulary | None = None,
                      timezone: str = BUSINESS_TIMEZONE, warnings: list | None = None
                      ) -> tuple[dict[str, Ruleset], dict[str, dict], list[RulesError]]:
    """Load, validate and compile a directory without registering anything in this process.

    A ruleset that may be past durable_rules' limits is registered once in a
    child process first (durable_rules never returns on some, DESIGN.md §4):
    if that fails it is an ``engine_rejected`` error here, so neither check
    nor reload can hang on it.
    """
    rulesets, errors = load_directory(directory, actions, timezone=timezone, warnings=warnings)
    definitions = {}
    for name, rs in rulesets.items():
        definition, errs = compile_ruleset(rs)
        errors.extend(errs)
        definitions[name] = definition
        if not errs and needs_probe(rs):
            problem = probe_register(definition)
            if problem:
                errors.append(RulesError(rs.file, 1, 1, "engine_rejected",
                                         f"durable_rules cannot take ruleset {name!r}: {problem}",
                                         f"it has more than {ENGINE_MAX_ALTERNATIVES} alternatives (each value of an "
                                         "in-list and each any-branch counts): split it or shorten the lists", name))
    return rulesets, definitions, errors


def check_directory(directory: str | Path, actions: ActionVocabulary | None = None,
                    timezone: str = BUSINESS_TIMEZONE, warnings: list | None = None) -> list[RulesError]:
    """Every error in a rules directory (empty list: valid), as ``RulesError`` list.

    ``warnings``: a list that receives the findings that do not make the
    directory invalid (severity "warning": decision-table gaps and overlaps).

    Beyond parsing and compiling, each compiled ruleset is registered in
    durable_rules once and deleted again, so a directory this accepts is one
    a reload accepts (never ``engine_rejected``; issue 9). Keeps nothing registered.
    """
    rulesets, definitions, errors = compile_directory(directory, actions, timezone, warnings)
    if not errors:
        for name, rs in rulesets.items():
            problem = try_register(rs, definitions[name])
            if problem:
                errors.append(RulesError(rs.file, 1, 1, "engine_rejected", f"durable_rules refuses ruleset {name!r}: {problem}",
                                         "simplify the rules (fewer values in one list, fewer rules) and report it", name))
    return errors


class RuleRegistry:
    """The active rulesets of one process, swapped as a whole on reload."""

    def __init__(self, directory: str | Path, actions: ActionVocabulary | None = None, cache_size: int = 4096,
                 timezone: str = BUSINESS_TIMEZONE):
        """Load ``directory`` (RulesLoadError if it has any error).

        ``timezone``: the business time zone (an IANA name, default
        Asia/Singapore, DESIGN.md §10) that datetimes with an offset are
        converted to, in facts and in rules. The engine reads no environment:
        the application passes its OCMS_TIMEZONE here.
        """
        self.actions = actions
        self.cache_size = cache_size
        self.timezone = timezone
        self.zone = business_zone(timezone)
        self._swap_lock = threading.Lock()
        self._active: _Active | None = None
        self.last_rejected: Rejected | None = None
        self._disagreements: dict[str, int] = {}
        self.reload(directory)

    # ---- loading -----------------------------------------------------------
    def reload(self, directory: str | Path | None = None) -> bool:
        """Validate and compile a rules directory, then swap it in; False if unchanged.

        A directory with any error raises RulesLoadError and the rules in
        service stay as they were.
        """
        with self._swap_lock:
            old = self._active
            directory = str(directory if directory is not None else old.directory)
            digest = directory_hash(directory)
            if old is not None and digest == old.dir_hash and directory == old.directory:
                return False
            rulesets, definitions, errors = compile_directory(directory, self.actions, self.timezone)
            if errors:
                self.last_rejected = Rejected(_now(), directory, errors)
                raise RulesLoadError(errors)
            compiled: dict[str, _Compiled] = {}
            try:
                for name, rs in rulesets.items():
                    prev = old.compiled.get(name) if old else None
                    if prev is not None and prev.ruleset.hash == rs.hash:
                        compiled[name] = prev
                    else:
                        compiled[name] = _Compiled(rs, definitions[name], self.cache_size, self.zone)
            except Exception as e:  # the engine refused a definition: keep the old rules
                for name, c in compiled.items():
                    if old is None or old.compiled.get(name) is not c:
                        c.engine.retire()
                err = RulesError(directory, 1, 1, "engine_rejected", f"durable_rules refused the rules: {e}")
                self.last_rejected = Rejected(_now(), directory, [err])
                raise RulesLoadError([err]) from e
            self._active = _Active(directory, digest, compiled, _now(), (old.generation + 1) if old else 1)
            if old is not None:
                for name, c in old.compiled.items():
                    if compiled.get(name) is not c:
                        c.engine.retire()
            return True

    def close(self) -> None:
        """Free every engine handle (the registry is unusable afterwards)."""
        with self._swap_lock:
            if self._active:
                for c in self._active.compiled.values():
                    c.engine.retire()

    # ---- what is loaded ------------------------------------------------------
    @property
    def directory(self) -> str:
        return self._active.directory

    @property
    def dir_hash(self) -> str:
        return self._active.dir_hash

    @property
    def generation(self) -> int:
        return self._active.generation

    def names(self) -> list[str]:
        return sorted(self._active.compiled)

    def get(self, name: str) -> Ruleset:
        return self._compiled(name).ruleset

    def rulesets(self) -> list[Ruleset]:
        return [c.ruleset for _, c in sorted(self._active.compiled.items())]

    def status(self) -> dict:
        a = self._active
        return {
            "active": {
                "directory": a.directory, "hash": a.dir_hash, "loadedAt": a.loaded_at, "generation": a.generation,
                "rulesets": {n: {"version": c.ruleset.version, "hash": c.ruleset.hash} for n, c in sorted(a.compiled.items())},
            },
            "lastRejected": self.last_rejected.to_dict() if self.last_rejected else None,
            "disagreements": dict(sorted(self._disagreements.items())),
        }

    def cache_stats(self) -> dict:
        """Per ruleset: cache hits, misses, size, and disagreements refused since this process started."""
        return {n: {"hits": c.hits, "misses": c.misses, "size": len(c._cache),
                    "disagreements": self._disagreements.get(n, 0)} for n, c in self._active.compiled.items()}

    @property
    def disagreements(self) -> int:
        """How many decisions were refused as EngineDisagreement since this registry was built (all rulesets)."""
        return sum(self._disagreements.values())

    def _compiled(self, name: str) -> _Compiled:
        c = self._active.compiled.get(name)
        if c is None:
            raise UnknownRulesetError(name, list(self._active.compiled))
        return c

    # ---- deciding ---------------------------------------------------------
    def evaluate(self, name: str, facts: dict, explain: bool = False, parameters: dict | None = None,
                 use_cache: bool = True) -> Decision:
        """Decide one set of facts (a mapping of fact name to value) -> Decision.

        ``explain`` adds a trace (every rule: matched, or its first failing
        condition). ``use_cache=False`` neither reads nor writes the decision
        cache (dry runs); explain never writes it. Raises FactError (bad facts,
        each named), UnknownRulesetError, EngineDisagreement (durable_rules and
        the rules as written differ: nothing is cached, the disagreement is
        logged and counted). DESIGN.md §4.
        """
        return self.evaluate_many(name, [facts], explain=explain, parameters=parameters, use_cache=use_cache)[0]

    def evaluate_many(self, name: str, facts_list: list[dict], explain: bool = False,
                      parameters: dict | None = None, use_cache: bool = True) -> list[Decision]:
        """Decide many subjects in one engine session (one post, one state deletion); same rules as evaluate.

        A FactError names the subject's position as ``error.index``.
        """
        while True:
            c = self._compiled(name)
            try:
                return self._decide(c, facts_list, explain, parameters, use_cache)
            except Retired:
                continue  # a reload swapped this ruleset out mid-call: use the new one

    def _decide(self, c: _Compiled, facts_list, explain, parameters, use_cache) -> list[Decision]:
        rs = c.ruleset
        checked = []
        for i, facts in enumerate(facts_list):
            try:
                checked.append(c.checker.check(facts, parameters))
            except FactError as e:
                if len(facts_list) > 1:
                    e.index = i
                raise
        key = c.cache_key
        keys = [key(values) for values, _, _ in checked]
        fired: list = [None] * len(checked)
        write = use_cache and not explain
        if write:
            for i, k in enumerate(keys):
                fired[i] = c.cache_get(k)
        todo = [i for i, f in enumerate(fired) if f is None]
        if todo:
            got = c.engine.fire([checked[i][1] for i in todo])
            collect = rs.hit_policy == "collect"
            wrong = []
            for i, f in zip(todo, got):
                # collect: durable_rules fires a rule once per satisfied branch of an any ($or): a set
                f = tuple(sorted({x for x in f if x >= 0})) if collect else tuple(x for x in f if x >= 0)
                expected = c.expected(keys[i])
                if f != expected:  # never used, never cached
                    wrong.append((i, f, expected))
                    continue
                fired[i] = f
                if write:
                    c.cache_put(keys[i], f)
            if wrong:
                self._disagree(rs, [(checked[i][2], f, e) for i, f, e in wrong])
        out = []
        for (values, _, js), f in zip(checked, fired):
            parts = c._built.get(f)
            if parts is None:
                parts = c._built[f] = _parts(rs, f)
            d = Decision(rs.name, rs.version, rs.hash, *parts[:3], dict(parts[3]), list(parts[4]), list(parts[5]), js, not f,
                         list(parts[6]))
            if explain:
                try:
                    d.trace = _trace(rs, values, f)
                except EngineDisagreement as e:
                    self._disagree(rs, [(js, f, e.expected)])
            out.append(d)
        return out

    def _disagree(self, rs: Ruleset, cases: list[tuple[dict, tuple, tuple]]):
        """Log and count disagreements (facts, engine fired, expected fired), then raise EngineDisagreement."""
        ids = lambda fired: [rs.rules[i].id for i in fired]  # noqa: E731
        with _COUNT_LOCK:
            self._disagreements[rs.name] = self._disagreements.get(rs.name, 0) + len(cases)
        for facts, f, e in cases:
            log.error("engine disagreement in ruleset %s %s (%s): durable_rules fired %s, the rules as written fire %s; "
                      "facts %r", rs.name, rs.version, rs.hash[:12], ids(f), ids(e), facts)
        facts, f, e = cases[0]
        raise EngineDisagreement(
            f"ruleset {rs.name!r}: durable_rules fired {ids(f)} but the rules as written fire {ids(e)} for {facts}"
            + (f" (and {len(cases) - 1} more subject(s) of the batch)" if len(cases) > 1 else ""),
            ruleset=rs.name, facts=facts, engine_fired=ids(f), expected=ids(e), count=len(cases))


_COUNT_LOCK = threading.Lock()


def _parts(rs: Ruleset, fired: tuple) -> tuple:
    """The parts of a decision that depend only on which rules fired."""
    thens = [rs.rules[i].then for i in fired] or [rs.default]
    first = thens[0]
    outputs: dict = {}
    actions = []
    for t in thens:
        for k, v in t.outputs.items():
            outputs.setdefault(k, v)
        actions.extend(t.actions)
    results = [dict(rule=rs.rules[i].id, **rs.rules[i].then.to_dict()) for i in fired]
    return (first.outcome, first.code, first.message, outputs, actions, [rs.rules[i].id for i in fired], results)


def _json_actual(v):
    from decimal import Decimal
    if isinstance(v, dict):
        return {k: _json_actual(x) for k, x in v.items()}
    if isinstance(v, Decimal):
        return decimal_json(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _first_line(cond) -> int | None:
    """The line of the first test in a written condition (an all/any/not has none of its own)."""
    if cond is None:
        return None
    if hasattr(cond, "line"):
        return cond.line or None
    items = (cond.item,) if hasattr(cond, "item") else cond.items
    return next((n for n in map(_first_line, items) if n), None)


def _trace(rs: Ruleset, event: dict, fired: tuple) -> list[TraceStep]:
    """Evaluate every rule in Python over typed values; raise EngineDisagreement if durable_rules differs.

    The raised error's ``expected`` holds the rule indices the rules as written fire.
    """
    steps = []
    expected = []
    for i, rule in enumerate(rs.rules):
        stop = rs.hit_policy == "first" and expected
        if stop:
            steps.append(TraceStep(rule.id, matched=False, tried=False))
            continue
        failure = first_failure(rule.normal, event)
        if failure is None:
            expected.append(i)
            steps.append(TraceStep(rule.id, matched=True))
        else:
            written = written_failure(rule.when, event)
            cond, actual = written if written is not None else (None, failure[1])  # None: the trees disagree
            steps.append(TraceStep(rule.id, matched=False,
                                   failed_condition=condition_text(cond) if cond is not None else failure[0],
                                   actual=_json_actual(actual), line=getattr(cond, "line", None) or _first_line(cond),
                                   compiled_condition=failure[0]))
    if rs.hit_policy == "collect":
        expected = sorted(expected)
    if tuple(expected) != tuple(fired):
        raise EngineDisagreement("explain disagrees", expected=tuple(expected))
    return steps
