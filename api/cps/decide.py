"""Ask the CPS rulesets: every answer comes from rules/*.yaml, none from Python ifs.

Each helper evaluates a whole batch with one ``evaluate_many`` over the
*distinct* fact sets (notices share few stages, roles and flags), so 10,000
notices cost a handful of engine calls.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Sequence

from engine import Decision, RuleRegistry

VALIDATION = "cps_validation"
CLASSIFICATION = "cps_classification"
STAGE_MAP = "stage_map"
AMOUNT = "cps_amount_payable"
PLUS = "cps_plus"
TOPPAN = "cps_toppan"
CATALOGUE = "stage_catalogue"
REASON = "cps_reason_of_change"

#: Outcomes the rulesets use.
CHANGEABLE, WARNING = "CHANGEABLE", "WARNING"
ALLOWED = "ALLOWED"


def _key(facts: dict) -> tuple:
    return tuple(sorted(facts.items()))


def decide(registry: RuleRegistry, ruleset: str, facts_list: Sequence[dict],
           parameters: dict | None = None) -> list[Decision]:
    """Decisions for ``facts_list`` in order, evaluating each distinct fact set once."""
    keys = [_key(f) for f in facts_list]
    distinct = list(dict.fromkeys(keys))
    if not distinct:
        return []
    by_key = dict(zip(distinct, registry.evaluate_many(ruleset, [dict(k) for k in distinct], parameters=parameters)))
    return [by_key[k] for k in keys]


def court_stages(registry: RuleRegistry, stages: Iterable[str | None]) -> dict[str, bool]:
    """stage → is it a CPS court stage (stage_catalogue, question cps_court_stage)."""
    wanted = sorted({s for s in stages if s})
    decisions = decide(registry, CATALOGUE, [{"question": "cps_court_stage", "processing_stage": s} for s in wanted])
    return {s: d.outcome == "COURT_STAGE" for s, d in zip(wanted, decisions)}


def role_eligibility(registry: RuleRegistry, pairs: Iterable[tuple[str | None, str]]) -> dict[tuple, bool]:
    """(role, new stage) → may that role move there (stage_catalogue table CPS-ROLE, §4.4)."""
    wanted = sorted({p for p in pairs if p[0]})
    decisions = decide(registry, CATALOGUE, [{"question": "role_eligible", "offender_role": r, "processing_stage": s}
                                            for r, s in wanted])
    return {p: d.outcome == "ELIGIBLE" for p, d in zip(wanted, decisions)}


def eligible_stages(registry: RuleRegistry, roles: Iterable[str]) -> dict[str, list[str]]:
    """role → the stages of stage_catalogue's ``all_stages`` list that CPS-ROLE allows it."""
    stages = list(registry.get(CATALOGUE).lists.get("all_stages") or [])
    roles = sorted({r for r in roles if r})
    ok = role_eligibility(registry, [(r, s) for r in roles for s in stages])
    return {r: [s for s in stages if ok.get((r, s))] for r in roles}


def stage_moves(registry: RuleRegistry, pairs: Iterable[tuple[str | None, str]]) -> dict[tuple, Decision]:
    """(last stage, new stage) → the stage_map decision (ALLOWED with next stage and days, or NO_STAGE_RULE)."""
    wanted = sorted(set(pairs), key=lambda p: (p[0] or "", p[1]))
    decisions = decide(registry, STAGE_MAP, [{"new_processing_stage": n, "last_processing_stage": l} for l, n in wanted])
    return dict(zip(wanted, decisions))


def next_of(decision: Decision) -> tuple[str | None, int | None]:
    """The next stage and stage days an ALLOWED stage_map decision gives."""
    days = decision.outputs.get("stage_days")
    return decision.outputs.get("next_processing_stage"), (int(days) if days is not None else None)


def surcharge(registry: RuleRegistry, stage: str) -> Decimal:
    """The amount added to composition_amount at ``stage`` (cps_amount_payable)."""
    value = registry.evaluate(AMOUNT, {"processing_stage": stage}).outputs.get("stage_surcharge") or 0
    return Decimal(str(value)).quantize(Decimal("0.01"))
