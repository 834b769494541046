"""Batch jobs of the CPS area (OCMS 15): ``toppan-cps`` (§7, the use case in :mod:`.toppan`) and ``cps-stage-map-sync``.

``cps-stage-map-sync`` derives the database copy of the stage map from
rules/stage_map.yaml (the one source of truth): it replaces the rows of
ocms_stage_map, and the NEXT_STAGE / STAGEDAYS parameters of every stage the
table has a row for, with what the ruleset answers for every pair of stages
in stage_catalogue's ``all_stages``.
CPS itself never reads the copy; it is there for reports and other readers.
Idempotent: a second run writes the same rows.
"""
from __future__ import annotations

from sqlalchemy import delete, insert

from api.jobs import PER_KEY, register_job
from api.decisions.service import published_registry
from engine import RuleRegistry
from repository.models import SYSTEM_USER, Parameter, StageMap, now

from . import decide as rules
from .toppan import read_batches, toppan_dir, update_batch


def stage_map_rows(registry: RuleRegistry) -> tuple[list[tuple[str, str]], dict[str, tuple[str | None, int | None]]]:
    """(allowed (last, next) pairs, new stage → (next stage, stage days)) as the stage_map ruleset says."""
    stages = list(registry.get(rules.CATALOGUE).lists.get("all_stages") or [])
    moves = rules.stage_moves(registry, [(a, b) for a in [None, *stages] for b in stages if a != b])
    allowed = sorted((p for p, d in moves.items() if d.outcome == rules.ALLOWED), key=lambda p: (p[0] or "", p[1]))
    pairs = [(a, b) for a, b in allowed if a is not None]  # (None, NPA): where a new notice starts
    following = {b: rules.next_of(moves[(a, b)]) for a, b in allowed}
    return pairs, following


@register_job("cps-stage-map-sync", "Copy rules/stage_map.yaml into ocms_stage_map and NEXT_STAGE/STAGEDAYS")
def stage_map_sync_job(uow, run_key: str) -> dict:
    """Replace the database copy of the stage map with the published stage_map ruleset's answers."""
    registry = published_registry(uow.session)  # the published version, as the workers serve it
    try:
        pairs, following = stage_map_rows(registry)
    finally:
        registry.close()
    s, stamp = uow.session, now()
    audit = {"cre_date": stamp, "cre_user_id": SYSTEM_USER}
    s.execute(delete(StageMap))
    s.execute(insert(StageMap), [{"last_processing_stage": a, "next_processing_stage": b,
                                  "description": f"{a} to {b} (rules/stage_map.yaml)", **audit} for a, b in pairs])
    # Only the stages the table has a row for: a stage nothing moves to (ENA) keeps its seeded values.
    s.execute(delete(Parameter).where(Parameter.parameter_id.in_(["NEXT_STAGE", "STAGEDAYS"]),
                                      Parameter.code.in_(sorted(following))))
    params = [{"parameter_id": "NEXT_STAGE", "code": st, "value": nxt, "description": f"NEXT_STAGE_{st} (rules/stage_map.yaml)",
               **audit} for st, (nxt, _) in sorted(following.items()) if nxt]
    params += [{"parameter_id": "STAGEDAYS", "code": st, "value": str(days),
                "description": f"Days at {st} (rules/stage_map.yaml)", **audit}
               for st, (_, days) in sorted(following.items()) if days is not None]
    if params:
        s.execute(insert(Parameter), params)
    return {"transitions": len(pairs), "parameters": len(params)}


@register_job("toppan-cps", "Toppan automatic stage changes from $OCMS_TOPPAN_DIR/<run key>/*.json (OCMS 15 §7)",
              lock=PER_KEY)  # the key names its own folder
def toppan_cps_job(uow, run_key: str) -> dict:
    """Apply every Toppan batch file of the run key's folder; counts per §7.4, summed over the batches."""
    from .schemas import ToppanRequestSchema

    from marshmallow import ValidationError

    from api.web.errors import flatten_messages

    directory = toppan_dir() / run_key
    batches = read_batches(directory) if directory.is_dir() else iter(())
    registry = published_registry(uow.session)  # the published version, as the workers serve it
    try:
        totals = {"batches": 0, "badBatches": 0, "totalNotices": 0, "automaticUpdates": 0, "manualUpdates": 0,
                  "skipped": 0}
        errors: list[str] = []
        schema = ToppanRequestSchema()
        for origin, raw, problem in batches:
            # One bad file or batch is listed and skipped; the others are still applied (§7.2: per notice).
            if problem is None:
                try:
                    batch = schema.load(raw)
                except ValidationError as e:
                    problem = "refused: " + "; ".join(f"{m['field']}: {m['message']}"
                                                      for m in flatten_messages(e.messages))[:300]
            if problem is not None:
                totals["badBatches"] += 1
                errors.append(f"{origin}: {problem}")
                continue
            stats = update_batch(uow, registry, batch["noticeNumbers"], batch["currentStage"], batch["newStage"],
                                 request_id=f"toppan-cps:{run_key}:{origin}", caller="toppan-cps")
            totals["batches"] += 1
            for k in ("totalNotices", "automaticUpdates", "manualUpdates", "skipped"):
                totals[k] += stats[k]
            errors += [f"{origin}: {e}" for e in stats["errors"]]
        totals["errorCount"] = len(errors)
        totals["errors"] = errors[:100]
        return totals
    finally:
        registry.close()
