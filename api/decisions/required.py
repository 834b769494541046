"""The rulesets the service's code asks the engine for (DESIGN §3: the engine contract).

A rules version that lacks one of them cannot serve every endpoint: a reload or
rollout of such a version is refused with 422 (``missing_ruleset``, the file
named) and the rules in service stay. The list is kept true by
``tests/api/test_required_rulesets.py``: every ruleset shipped in ``rules/`` is
here and every name here is shipped.
"""
from __future__ import annotations

from engine import RulesError

#: Ruleset names (``ruleset:`` of a ``rules/*.yaml`` file) the code evaluates.
REQUIRED_RULESETS: frozenset[str] = frozenset({
    "an_notification_route", "an_qualification", "ces_eht_flag", "ces_subsystem", "cps_amount_payable", "cps_classification",
    "cps_plus", "cps_reason_of_change", "cps_toppan", "cps_validation", "double_booking",
    "furnish_approval", "furnish_eligibility", "plus_notice_update", "stage_catalogue", "stage_map",
    "stage_progression", "suspension_revival", "unqualified_an_receiver", "vehicle_type", "vip_notice",
})


def missing_rulesets(loaded: set[str] | frozenset[str], shown_as: str) -> list[RulesError]:
    """One located error per required ruleset absent from ``loaded`` (empty list when none is missing)."""
    return [RulesError(f"{shown_as}/{name}.yaml", 1, 1, "missing_ruleset",
                       f"ruleset {name!r} is missing; the service evaluates it, so this version cannot go into service",
                       hint=f"restore {name}.yaml (or the file that defines `ruleset: {name}`)")
            for name in sorted(REQUIRED_RULESETS - set(loaded))]
