"""``GET /v1/admin/rules/shadow``: what a shadow run found, from the rows every worker wrote."""
from __future__ import annotations

from sqlalchemy import select

from repository.models import DecisionLog
from repository.queries import rules_versions as rv


def summarise(database, shadow_id: int | None, examples: int = 20, ruleset: str | None = None) -> dict | None:
    """Counts per ruleset and per (live outcome → shadow outcome), and the latest differences; None if no run.

    ``shadow_id`` None: the latest run (in force or not). Each example carries
    the subject of the live decision when the decision log has it (same
    request id and ruleset).
    """
    with database.session() as s:
        shadow = rv.get_shadow(s, shadow_id) if shadow_id is not None else rv.latest_shadow(s)
        if shadow is None:
            return None
        state = rv.get_state(s)
        counts = rv.shadow_counts(s, shadow.id)
        pairs = rv.shadow_pairs(s, shadow.id)
        rows = rv.shadow_examples(s, shadow.id, examples, ruleset) if examples else []
        request_ids = {r.request_id for r in rows if r.request_id}
        subjects = {}
        if request_ids:
            for rid, rs, subject in s.execute(select(DecisionLog.request_id, DecisionLog.ruleset, DecisionLog.subject)
                                              .where(DecisionLog.request_id.in_(request_ids))):
                subjects.setdefault((rid, rs), subject)
        body = {
            "shadow": {"id": shadow.id, "hash": shadow.bundle_hash, "source": shadow.source,
                       "rulesets": shadow.rulesets, "startedAt": shadow.started_at.isoformat(),
                       "startedBy": shadow.started_by,
                       "stoppedAt": shadow.stopped_at.isoformat() if shadow.stopped_at else None,
                       "stoppedBy": shadow.stopped_by,
                       "active": state is not None and state.shadow_id == shadow.id},
            "compared": sum(c.compared for c in counts), "differed": sum(c.differed for c in counts),
            "dropped": sum(c.dropped for c in counts),
            "perRuleset": {c.ruleset: {"compared": c.compared, "differed": c.differed, "dropped": c.dropped}
                           for c in counts},
            "pairs": [{"ruleset": r, "live": lo, "shadow": so, "count": n} for r, lo, so, n in pairs],
            "examples": [{"id": r.id, "decidedAt": r.decided_at.isoformat(), "requestId": r.request_id,
                          "caller": r.caller, "ruleset": r.ruleset, "subject": subjects.get((r.request_id, r.ruleset)),
                          "facts": r.facts, "parameters": r.parameters, "live": r.live, "shadow": r.shadow}
                         for r in rows],
        }
    return body
