"""Manual stage change from PLUS (OCMS 15 §6): request-level restrictions, then the per-notice flow.

Order (§6.2): cps_plus decides once per request - CFC from source 005 →
OCMS-4004; offence type U to DN1/DN2/DR3/CPC → success, nothing processed;
lastStageName → nextStageName not in the stage map → OCMS-4000. Each notice
then goes through the same checks and writes as a Staff Portal submit
(cps_validation, with lastStageName as the stage the notice must still be at; a newStageDate must not
lie before the notice's current stage date, after today, or so early that the
next stage is overdue at once), audited with source PLUS. The answer's message
is "Success", "Partial success" or "Failed" (no notice changed; still HTTP 200
and OCMS-2000, the request itself was processed) with the success/failed lists.
"""
from __future__ import annotations

from api.decisions.log import record_decisions
from api.web.errors import ApiError
from engine import RuleRegistry

from . import decide as rules
from .change import UPDATED, ChangeRequest, apply_changes, check_reason
from .queries import SOURCE_PLUS

#: authorised_officer when PLUS names none.
PLUS_OFFICER = "PLUS"


def plus_change(uow, registry: RuleRegistry, body: dict, request_id: str | None, caller: str | None) -> dict:
    """Apply a PLUS request inside ``uow`` (no commit); raise ApiError for a refused request."""
    last, nxt, notices = body["lastStageName"], body["nextStageName"], body["noticeNo"]
    req = ChangeRequest(notice_nos=notices, new_stage=nxt, reason=body["reasonOfChange"], remarks=body["remarks"],
                        is_confirmation=body["isConfirmation"], officer=body["authorisedOfficer"] or PLUS_OFFICER,
                        source=SOURCE_PLUS, expected_stage=last, stage_date=body["newStageDate"])
    check_reason(registry, req)  # a reasonOfChange, if PLUS sends one, is checked like the Staff Portal's (§5.4)
    move = rules.stage_moves(registry, [(last, nxt)])[(last, nxt)]
    gate = registry.evaluate(rules.PLUS, {"source": body["source"], "next_stage_name": nxt,
                                          "offence_type": body["offenceType"],
                                          "transition_allowed": move.outcome == rules.ALLOWED})
    if gate.outcome == "REJECTED":
        field = gate.outputs.get("field") or "nextStageName"
        number = int(gate.code.rsplit("-", 1)[1]) if gate.code and gate.code.startswith("OCMS-") else 4000
        status = number // 1000 * 100 + number % 100  # the app code echoes the status: OCMS-4004 → 404
        raise ApiError(status, gate.message, [{"field": field, "message": f"{last} → {nxt}: {gate.message}"}],
                       app_code=gate.code)
    record_decisions(uow.session, [gate] * len(notices), notices, request_id, caller)
    if gate.outcome == "SKIP":
        return {"appCode": "OCMS-2000", "message": gate.message,
                "success": [{"noticeNo": n, "status": "SKIPPED", "message": gate.message} for n in notices],
                "failed": []}
    applied = apply_changes(uow, registry, req, request_id, caller, user=req.officer)
    success = [r for r in applied.results if r["status"] == UPDATED]
    failed = [{"noticeNo": r["noticeNo"], "appCode": r["code"], "message": r["message"]}
              for r in applied.results if r["status"] != UPDATED]
    return {"appCode": "OCMS-2000", "message": outcome_message(len(success), len(failed)),
            "success": success, "failed": failed}


def outcome_message(succeeded: int, failed: int) -> str:
    """§6.2 step 16: "Success" (none failed), "Partial success" (some of each) or "Failed" (none changed)."""
    if not failed:
        return "Success"
    return "Partial success" if succeeded else "Failed"
