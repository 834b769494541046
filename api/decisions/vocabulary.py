"""The action vocabulary the application registers with the engine.

Rules may only ask for these actions; the loader checks their arguments. Facts may name one of
:data:`VOCABULARY`'s normalisers (``normalise: vehicle_no``, ``code``, ``notice_no``). Each
action is applied by one function in `api/decisions/apply.py` (DESIGN.md §5).
"""
from engine import ActionParam, ActionSpec, ActionVocabulary
from repository.identity import normalise_code, normalise_notice_no, normalise_vehicle_no

SUSPENSION_TYPES = ("TS", "PS")

VOCABULARY = ActionVocabulary([
    ActionSpec("set_notice_fields", {}, "Set columns of the notice (and its internet mirror)", open_params=True),
    ActionSpec("suspend", {
        "suspension_type": ActionParam("string", True, SUSPENSION_TYPES),
        "reason": ActionParam("string", True, description="reason of suspension, e.g. ANS, DBB, OLD, CLV"),
        "revival_days": ActionParam("integer", False, description="days until revival; default from ocms_parameter"),
        "default_revival_days": ActionParam("integer", False, description="days until revival when REVIVAL_DAYS/<reason> "
                                            "in ocms_parameter is missing or invalid (per reason; else 30)"),
        "remarks": ActionParam("string", False, description="suspension_remarks, e.g. 'Advisory Notice detected - qualified AN'"),
    }, "Suspend the notice: ocms_suspended_notice row, notice suspension fields, internet mirror"),
    ActionSpec("reject", {
        "code": ActionParam("string", True, description="the spec's app or error code"),
        "message": ActionParam("string", False),
    }, "Refuse the request for this subject with the given code"),
    ActionSpec("skip", {"reason": ActionParam("string", False)}, "Leave the subject untouched and report it skipped"),
    ActionSpec("queue_an_notification", {}, "Leave the qualified AN pending notification (OCMS 10 §3.4-3.7): "
               "owner particulars, eAN or letter, then PS-ANS, by the an-notifications job"),
    ActionSpec("manual_review", {"reason": ActionParam("string", True)}, "Queue the subject for staff review"),
], normalisers={
    # A ruleset names one on a string fact (`vehicle_no: {type: string, normalise: vehicle_no}`): the same
    # normalisation as every entry point (repository/identity.py), on every path - intake, jobs, dry run, fixtures.
    "vehicle_no": normalise_vehicle_no,
    "notice_no": normalise_notice_no,
    "code": normalise_code,
})

__all__ = ["VOCABULARY", "SUSPENSION_TYPES"]
