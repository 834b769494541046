"""Drive durable_rules' engine for one compiled ruleset.

We call the `durable_rules_engine` extension directly instead of
`durable.engine.Host`: a Host starts two timer threads per process that
dispatch every registered ruleset concurrently with our posts (the source of
error 307 under concurrent calls and of crashes on ruleset deletion). Here each
compiled ruleset owns one engine handle guarded by one lock; every call posts
its events under a fresh session id and deletes that session in a `finally`,
so no state outlives a call and the 1,024-live-sessions limit is never near.
"""
from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading

import durable_rules_engine as _dre

from .compiler import DEFAULT_RULE, INDEX, MARKER, compile_ruleset, rule_by_engine_name
from .errors import EngineError
from .model import Ruleset

_names = itertools.count(1)


class Retired(EngineError):
    """The compiled ruleset was replaced by a reload; ask the registry again."""


class EngineRuleset:
    """One ruleset registered in durable_rules under a name unique to this load."""

    def __init__(self, rs: Ruleset, definition: dict | None = None):
        if definition is None:
            definition, errors = compile_ruleset(rs)
            if errors:
                raise EngineError("; ".join(map(str, errors)))
        self.ruleset = rs
        self.engine_name = f"{rs.name}__{next(_names)}"
        self.definition = definition
        self._by_name = rule_by_engine_name(rs)
        self._collect = rs.hit_policy == "collect"
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._retired = False
        self.renewals = 0  # handles replaced after a failure inside durable_rules
        self._handle = _dre.create_ruleset(self.engine_name, json.dumps(definition))

    def fire(self, events: list[dict]) -> list[list[int]]:
        """Post events; return, per event, the indices of the rules that fired (-1: default)."""
        fired: list[list[int]] = [[] for _ in events]
        with self._lock:
            if self._retired:
                raise Retired(self.engine_name)
            sid = str(next(self._sids))
            msgs = []
            for i, ev in enumerate(events):
                m = dict(ev)
                m["sid"] = sid
                m[MARKER] = 1
                m[INDEX] = i
                msgs.append(m)
            payload = json.dumps(msgs) if len(msgs) > 1 else json.dumps(msgs[0])
            h = self._handle
            try:
                if self._collect:
                    res = _dre.assert_facts(h, payload) if len(msgs) > 1 else _dre.assert_fact(h, payload)
                else:
                    res = _dre.assert_events(h, payload) if len(msgs) > 1 else _dre.assert_event(h, payload)
            except BaseException:
                # A refused payload usually leaves no session behind and the handle stays usable;
                # if part of a batch got in, the half-built session cannot be deleted (see below).
                if _session_exists(h, sid):
                    self._renew()
                raise
            try:
                state = res[1]
                action = _dre.start_action_for_state(h, state)
            except BaseException:
                # delete_state on a session whose action was never started crashes the
                # process: drop the whole handle instead and continue on a fresh one.
                self._renew()
                raise
            try:
                while action:
                    payload = action[1] if isinstance(action, tuple) else action
                    for rule_name, frame in json.loads(payload).items():
                        idx = frame["m"][INDEX]
                        fired[idx].append(-1 if rule_name == DEFAULT_RULE else self._by_name[rule_name])
                    action = _dre.complete_and_start_action(h, state)
            finally:
                _dre.delete_state(h, sid)
        if not all(fired):  # the catch-all rule answers every event: none may go missing (DESIGN.md §4)
            lost = [i for i, f in enumerate(fired) if not f]
            raise EngineError(f"durable_rules answered no rule for event(s) {lost[:10]} of {len(events)} in {self.engine_name}")
        return fired

    def _renew(self) -> None:
        """Register the same definition under a new name, use that handle from now on, free the old one.

        Freeing it matters: each handle holds its ruleset's compiled network
        (about 60 KB for a small ruleset), so keeping them grew a worker by
        ~140 MB per 2,000 failed asserts (issue 9).
        """
        old = self._handle
        self.engine_name = f"{self.ruleset.name}__{next(_names)}"
        self._handle = _dre.create_ruleset(self.engine_name, json.dumps(self.definition))
        self.renewals += 1
        _dre.delete_ruleset(old)

    def retire(self) -> None:
        """Free the engine handle once no call is using it; later calls raise Retired."""
        with self._lock:
            if not self._retired:
                self._retired = True
                _dre.delete_ruleset(self._handle)


def _session_exists(handle, sid: str) -> bool:
    try:
        _dre.get_state(handle, sid)
        return True
    except Exception:  # durable_rules: error 309, no such session
        return False


def try_register(rs: Ruleset, definition: dict) -> str | None:
    """Register a compiled definition in durable_rules and delete it again; the refusal's text, or None."""
    name = f"{rs.name}__check{next(_names)}"
    try:
        handle = _dre.create_ruleset(name, json.dumps(definition))
    except Exception as e:  # durable_rules raises its own error type
        return str(e) or type(e).__name__
    _dre.delete_ruleset(handle)
    return None


_PROBE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
import durable_rules_engine as dre
dre.delete_ruleset(dre.create_ruleset("probe", sys.stdin.read()))
print("ok")
"""


def probe_register(definition: dict, timeout: float = 3.0) -> str | None:
    """Register a definition in a child process (durable_rules may hang or eat memory on large ones).

    None if it registered; otherwise why not. Used before registering a
    ruleset past compiler.ENGINE_MAX_ALTERNATIVES in this process.
    """
    try:
        out = subprocess.run([sys.executable, "-c", _PROBE], input=json.dumps(definition), capture_output=True,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"durable_rules did not finish registering it within {timeout:.0f} s"
    if out.returncode == 0 and out.stdout.strip() == "ok":
        return None
    last = (out.stderr.strip().splitlines() or [f"exit status {out.returncode}"])[-1]
    return last
