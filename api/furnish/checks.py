"""Validate furnished particulars against MHA and decide each application (OCMS 14 tab 4 steps 5-6).

:func:`mha_results` asks MHA once per distinct NRIC/FIN (the ID types of the
ruleset list ``furnish_approval.mha_id_types``); :func:`decide` turns an
application, its notice's state and MHA's answer into the facts of
``furnish_eligibility`` and ``furnish_approval`` and returns both decisions.
No rule is written here: which answers approve, queue or retry is the
ruleset's (rules/furnish_approval.yaml).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from api.clients.http import ExternalCallError
from api.clients.json_api import RecordNotFound
from api.clients.mha import MhaClient, Particulars
from engine import Decision, RuleRegistry
from repository.base import now

from .outcomes import Application, NoticeState
from .submission import ELIGIBILITY, ELIGIBLE, eligibility_facts

log = logging.getLogger(__name__)

APPROVAL = "furnish_approval"
FOUND, NOT_FOUND, UNAVAILABLE, NOT_CHECKED = "FOUND", "NOT_FOUND", "UNAVAILABLE", "NOT_CHECKED"
AUTO_APPROVE, OIC_REVIEW, RETRY = "AUTO_APPROVE", "OIC_REVIEW", "RETRY"


def mha_id_types(registry: RuleRegistry) -> frozenset[str]:
    """The ID types MHA can verify, as the ruleset lists them."""
    return frozenset(registry.get(APPROVAL).lists.get("mha_id_types") or ())


def comparable_name(name: str | None) -> str:
    """A name as compared with MHA's: upper-case, punctuation as spaces, single spaces (``Tan Ah-Kow`` = ``TAN AH KOW``)."""
    return " ".join(re.sub(r"[^\w]|_", " ", (name or "").upper()).split())


def _found(p: Particulars) -> dict[str, Any]:
    a = p.address
    return {"mhaStatus": FOUND, "name": p.name, "isDeceased": p.is_deceased, "checkedAt": now().isoformat(),
            "address": None if a is None else {"blockHouseNo": a.block_house_no, "buildingName": a.building_name,
                                               "streetName": a.street_name, "unitNumber": a.unit_number,
                                               "postalCode": a.postal_code}}


def mha_results(client: MhaClient, id_nos: Iterable[str]) -> dict[str, dict[str, Any]]:
    """MHA's answer for each distinct ID (``check_result`` shape): FOUND with the particulars, NOT_FOUND, UNAVAILABLE."""
    out: dict[str, dict[str, Any]] = {}
    for id_no in dict.fromkeys(id_nos):
        try:
            out[id_no] = _found(client.particulars(id_no).value)
        except RecordNotFound:
            out[id_no] = {"mhaStatus": NOT_FOUND, "checkedAt": now().isoformat()}
        except ExternalCallError as e:
            log.warning("MHA check of a furnished particular failed: %s", e)
            out[id_no] = {"mhaStatus": UNAVAILABLE, "checkedAt": now().isoformat(), "error": str(e)[:200]}
    return out


def approval_facts(app: Application, eligible: bool, result: dict[str, Any] | None, attempts: int) -> dict:
    """The furnish_approval facts of one application checked (``result``: MHA's answer, None if not asked)."""
    status = (result or {}).get("mhaStatus", NOT_CHECKED)
    facts = {"notice_eligible": eligible, "furnish_type": app.furnish_type, "id_type": app.id_type,
             "mha_status": status, "check_attempts": attempts}
    if status == FOUND:
        address = result.get("address") or {}
        facts.update(is_deceased=result.get("isDeceased"),
                     name_matches=comparable_name(result.get("name")) == comparable_name(app.name),
                     has_address=bool(address.get("streetName") and address.get("postalCode")))
    return facts


@dataclass
class Checked:
    """One application's decisions: may the notice be furnished now, and what to do with the application."""

    app: Application
    eligibility: Decision
    approval: Decision


def eligibility_decisions(registry: RuleRegistry, apps: Sequence[Application],
                          states: dict[str, NoticeState]) -> list[Decision]:
    """furnish_eligibility for each application's intranet notice as it is now."""
    facts = []
    for a in apps:
        st = states.get(a.notice_no) or NoticeState(False)
        facts.append(eligibility_facts(st if st.found else None, a.furnish_type, st.current_offender_role))
    return registry.evaluate_many(ELIGIBILITY, facts) if facts else []


def decide(registry: RuleRegistry, apps: Sequence[Application], states: dict[str, NoticeState],
           results: dict[str, dict[str, Any]]) -> list[Checked]:
    """Both decisions for each application; ``app.check_result``/``check_attempts`` are updated for this check."""
    eligibility = eligibility_decisions(registry, apps, states)
    facts = []
    for app, elig in zip(apps, eligibility):
        app.check_attempts += 1
        result = results.get(app.id_no or "")
        app.check_result = result
        facts.append(approval_facts(app, elig.outcome == ELIGIBLE, result, app.check_attempts))
    approvals = registry.evaluate_many(APPROVAL, facts) if facts else []
    return [Checked(a, e, d) for a, e, d in zip(apps, eligibility, approvals)]


__all__ = ["APPROVAL", "AUTO_APPROVE", "Checked", "FOUND", "NOT_CHECKED", "NOT_FOUND", "OIC_REVIEW", "RETRY",
           "UNAVAILABLE", "approval_facts", "comparable_name", "decide", "eligibility_decisions", "mha_id_types",
           "mha_results"]
