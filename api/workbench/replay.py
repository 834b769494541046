"""Replay a logged decision under the rules version that made it and under today's (issue 15, "Versions kept").

"Why did notice X get PS-ANS, and would it today?": each decision-log row
records its ruleset, the ruleset's version and content hash, the facts and the
parameter overrides. :func:`replay_rows` finds the published generation whose
file of that ruleset has that hash (``ocms_rules_bundle_file``), compiles that
generation's bundle in a registry of its own, and decides the recorded facts
with it (explain on: the trace says why) and with the rules in service.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from engine import EngineDisagreement, FactError, RuleRegistry, UnknownRulesetError
from engine.bundle import Bundle, write_snapshot
from engine.impact import Side
from repository.queries import rules_versions as rv


class VersionRegistries:
    """Registries of published bundles, compiled on first use (one per bundle), closed together."""

    def __init__(self, database, snapshots: Path, new_registry: Callable[[Path], RuleRegistry]):
        self.database = database
        self.snapshots = snapshots
        self.new_registry = new_registry
        self._by_bundle: dict[str, RuleRegistry] = {}

    def for_bundle(self, bundle_hash: str) -> RuleRegistry:
        reg = self._by_bundle.get(bundle_hash)
        if reg is None:
            with self.database.session() as s:
                files = rv.bundle_files(s, bundle_hash)
            bundle = Bundle(files)
            if bundle.hash != bundle_hash:
                raise LookupError(f"stored bundle {bundle_hash[:12]} does not hash to its name")
            reg = self._by_bundle[bundle_hash] = self.new_registry(write_snapshot(bundle, self.snapshots))
        return reg

    def published(self) -> tuple[RuleRegistry, int] | None:
        """The registry of the version in service and its generation; None if nothing is published."""
        with self.database.session() as s:
            pointer = rv.read_pointer(s)
        if pointer is None:
            return None
        return self.for_bundle(pointer[1]), pointer[0]

    def close(self) -> None:
        for reg in self._by_bundle.values():
            reg.close()
        self._by_bundle.clear()


def _decide(registry: RuleRegistry, ruleset: str, facts: dict, parameters: dict | None) -> dict:
    try:
        d = registry.evaluate(ruleset, facts, explain=True, parameters=parameters or None)
    except FactError as e:
        return {"outcome": None, "error": "; ".join(f"{p.fact}: {p.message}" for p in e.problems)}
    except UnknownRulesetError as e:
        return {"outcome": None, "error": str(e)}
    except EngineDisagreement as e:
        return {"outcome": None, "error": f"engine disagreement: {e}"}
    side = Side.of(d).to_dict()
    side["hash"] = d.hash
    side["trace"] = [t.to_dict() for t in (d.trace or [])]
    return side


def _same(a: dict, b: dict) -> bool:
    keys = ("outcome", "code", "message", "outputs", "actions", "firedRules", "error")
    return all(a.get(k) == b.get(k) for k in keys)


def replay_rows(rows, *, database, today: RuleRegistry, today_generation: int | None,
                versions: VersionRegistries) -> list[dict]:
    """For each decision-log row: what was recorded, the same facts under its own version, and under today's.

    Each item: ``{id, subject, ruleset, decidedAt, recorded, then: {generation, ...decision} | None,
    reproduced, today: {generation, ...decision}, changedToday}``. ``then`` is None
    (with ``thenMissing``) when no published version holds that ruleset hash.
    """
    out = []
    for row in rows:
        facts = row.facts if isinstance(row.facts, dict) else {}
        params = row.parameters or None
        recorded = {"outcome": row.outcome, "firedRules": list(row.fired_rules or []), "version": row.ruleset_version,
                    "hash": row.ruleset_hash, "outputs": row.outputs, "actions": row.actions}
        item = {"id": row.id, "subject": row.subject, "ruleset": row.ruleset,
                "decidedAt": row.decided_at.isoformat() if row.decided_at else None, "requestId": row.request_id,
                "facts": facts, "parameters": params, "recorded": recorded}
        with database.session() as s:
            found = rv.generations_with_ruleset_hash(s, row.ruleset, row.ruleset_hash) if row.ruleset_hash else []
        if found:
            generation, bundle_hash = found[0]
            try:
                then = _decide(versions.for_bundle(bundle_hash), row.ruleset, facts, params)
            except LookupError as e:
                then = {"outcome": None, "error": str(e)}
            then["generation"] = generation
            item["then"] = then
            item["reproduced"] = then.get("error") is None and then["outcome"] == row.outcome and \
                then["firedRules"] == recorded["firedRules"]
        else:
            item["then"] = None
            item["reproduced"] = None
            item["thenMissing"] = (f"no published version holds {row.ruleset} with hash {str(row.ruleset_hash)[:12]} "
                                   "(decided before versions were kept, or by unpublished rules)")
        now = _decide(today, row.ruleset, facts, params)
        now["generation"] = today_generation
        item["today"] = now
        base = item["then"] if item["then"] is not None and item["then"].get("error") is None else None
        item["changedToday"] = (not _same(base, now)) if base is not None else (
            now.get("error") is not None or now["outcome"] != row.outcome or now["firedRules"] != recorded["firedRules"])
        out.append(item)
    return out


def format_replay(items: list[dict]) -> str:
    """One block per decision, for ``ocms rules replay``."""
    lines = []
    for it in items:
        rec = it["recorded"]
        lines.append(f"decision {it['id']}  {it['ruleset']}  subject {it['subject'] or '-'}  decided {it['decidedAt']}")
        lines.append(f"  recorded:            {rec['outcome']}  fired {rec['firedRules'] or '[] (default)'}  "
                     f"(version {rec['version']}, hash {str(rec['hash'])[:12]})")
        then = it["then"]
        if then is None:
            lines.append(f"  under its version:   not available: {it['thenMissing']}")
        elif then.get("error"):
            lines.append(f"  under its version:   refused: {then['error']}")
        else:
            lines.append(f"  under its version:   {then['outcome']}  fired {then['firedRules'] or '[] (default)'}  "
                         f"(generation {then['generation']}){'' if it['reproduced'] else '  NOT AS RECORDED'}")
        now = it["today"]
        verdict = "CHANGED" if it["changedToday"] else "same"
        if now.get("error"):
            lines.append(f"  today:               refused: {now['error']}  -> {verdict}")
        else:
            lines.append(f"  today:               {now['outcome']}  fired {now['firedRules'] or '[] (default)'}  "
                         f"(generation {now['generation']}, version {now['version']})  -> {verdict}")
            was = set((then or {}).get("firedRules") or rec["firedRules"] or [])
            failed = [t for t in now.get("trace", []) if t.get("failedCondition") and t["rule"] in was] or \
                [t for t in now.get("trace", []) if t.get("failedCondition")]
            if it["changedToday"] and failed:
                lines.append("    why today: " + "; ".join(f"{t['rule']}: {t['failedCondition']} (actual {t['actual']!r})"
                                                           for t in failed[:5]))
    changed = sum(1 for it in items if it["changedToday"])
    lines.append(f"{len(items)} decision(s) replayed, {changed} would be decided differently today")
    return "\n".join(lines)
