"""Change Processing Stage for the Staff Portal (OCMS 15 §3-5, §8): JWT with role OIC.

* ``POST /v1/cps/search`` — notices by §5.3 criteria (at least one, else
  OCMS-4000 VAL010 naming them), segregated eligible / ineligible with the reason.
* ``POST /v1/cps/validate`` and ``/submit`` first check the reason of change
  (rules/cps_reason_of_change.yaml, §5.4): an unknown code or OTH without
  remarks is 400 OCMS-4000 naming ``reasonOfChange`` / ``remarks``.
* ``POST /v1/cps/validate`` — per notice CHANGEABLE, WARNING
  (OCMS.CPS.ELIG.EXISTING_CHANGE_TODAY) or the error code; writes nothing.
* ``POST /v1/cps/submit`` — applies the changeable notices (VON + internet
  mirror + ocms_change_of_processing, one transaction) and returns the URL of
  the Excel change report.
* ``GET /v1/cps/reports?startDate=&endDate=`` — the CPS reports created in the
  range (at most REPORT_RANGE_DAYS/CPS days, default 90); ``POST`` the same
  range to generate a report of every change (any source) in it.
* ``GET /v1/cps/reports/<id>`` — download one report (.xlsx).

Missing/wrong JWT → 401 OCMS-4001; a valid JWT without role OIC → 403 OCMS-4003.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app, g, send_file

from api.database import get_db, run_in_transaction
from api.decisions.service import get_rules
from api.web.auth import require_jwt
from api.web.errors import ApiError, bad_request, check_batch_limit, not_found
from api.web.fields import id_max
from api.web.smorest import Blueprint
from repository.models import ReportFile
from repository.queries import get_int_parameter

from .change import ChangeRequest, apply_changes, check_reason, validate
from .queries import SOURCE_OCMS, report_rows
from .reports import DEFAULT_RANGE_DAYS, REPORT_TYPE, describe, list_reports, store_report
from .schemas import (
    MAX_NOTICES,
    ChangeSchema,
    ReportCreatedSchema,
    ReportListSchema,
    ReportRangeSchema,
    SearchResponseSchema,
    SearchSchema,
    SubmitResponseSchema,
    ValidateResponseSchema,
)
from .search import search

blp = Blueprint("cps", __name__, url_prefix="/v1/cps", description="Change Processing Stage (Staff Portal, OCMS 15)")

#: Staff Portal roles allowed to change processing stages (OCMS 15 §2.2: the OIC).
CPS_ROLES = ("OIC",)
JWT = [{"staffPortalJwt": []}]


def _officer() -> str:
    return g.jwt_claims["sub"]


def _change_request(body: dict) -> ChangeRequest:
    check_batch_limit(body["noticeNumbers"], MAX_NOTICES, "noticeNumbers")
    req = ChangeRequest(notice_nos=body["noticeNumbers"], new_stage=body["newProcessingStage"],
                        reason=body["reasonOfChange"], remarks=body["remarks"],
                        is_confirmation=body["isConfirmation"], officer=_officer(), source=SOURCE_OCMS)
    check_reason(get_rules().registry, req)  # §5.4 field checks (reason code, OTH remarks) before any notice
    return req


def _summary(results: list[dict]) -> dict:
    def codes(*statuses):
        return [r["noticeNo"] for r in results if r["status"] in statuses]
    return {"changeable": codes("CHANGEABLE", "UPDATED"), "warnings": codes("WARNING"),
            "nonChangeable": codes("NOT_CHANGEABLE")}


@blp.route("/search", methods=["POST"])
@require_jwt(CPS_ROLES)  # before the body is parsed: no validation details for unknown callers
@blp.arguments(SearchSchema)
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@blp.doc(responses={"200": {"description": "Eligible and ineligible notices", "content": {"application/json": {"schema": SearchResponseSchema}}}})
@blp.doc(security=JWT)
def cps_search(body: dict):
    """Search notices (§5.3) and segregate them: eligible, or ineligible with the reason (§3.2)."""
    with get_db().session() as s:
        return search(s, get_rules().registry, body)


@blp.route("/validate", methods=["POST"])
@require_jwt(CPS_ROLES)  # before the body is parsed: no validation details for unknown callers
@blp.arguments(ChangeSchema)
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@blp.alt_response(413, description="More than 500 notices (OCMS-4013)")
@blp.doc(responses={"200": {"description": "A result per notice; nothing written", "content": {"application/json": {"schema": ValidateResponseSchema}}}})
@blp.doc(security=JWT)
def cps_validate(body: dict):
    """Per notice: CHANGEABLE, a warning to confirm, or the first failed check (§4.2); writes nothing."""
    results = validate(get_db(), get_rules().registry, _change_request(body))
    return {"results": results, **_summary(results)}


@blp.route("/submit", methods=["POST"])
@require_jwt(CPS_ROLES)  # before the body is parsed: no validation details for unknown callers
@blp.arguments(ChangeSchema)
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@blp.alt_response(413, description="More than 500 notices (OCMS-4013)")
@blp.doc(responses={"200": {"description": "A result per notice and the change report", "content": {"application/json": {"schema": SubmitResponseSchema}}}})
@blp.doc(security=JWT)
def cps_submit(body: dict):
    """Apply the changeable notices in one transaction and generate the change report (§5.2 steps 16-22)."""
    req = _change_request(body)
    registry, request_id, caller, report_dir = get_rules().registry, g.request_id, g.caller, \
        current_app.config["OCMS_REPORT_DIR"]

    def work(uow, attempt):
        stored = None
        try:
            applied = apply_changes(uow, registry, req, request_id, caller, user=req.officer)
            if applied.audit:
                rows = [(a["notice_no"], a["last_processing_stage"], a["new_processing_stage"], a["date_of_change"],
                         a["reason_of_change"], a["authorised_officer"], a["source"], a["remarks"],
                         applied.facts[a["notice_no"]].offender_name, applied.facts[a["notice_no"]].vehicle_no)
                        for a in applied.audit]
                stored = store_report(uow.session, report_dir, rows, req.officer,
                                      {"requestId": request_id, "newProcessingStage": req.new_stage,
                                       "notices": len(rows)})
            uow.commit()  # here, so that a failed commit removes this try's report file too
        except BaseException:
            if stored is not None:
                Path(stored.storage_path).unlink(missing_ok=True)
            raise
        return applied, stored
    applied, stored = run_in_transaction(get_db(), work, what="CPS submit")
    results = applied.results
    return {"results": results, "updated": sum(r["status"] == "UPDATED" for r in results),
            "notUpdated": sum(r["status"] != "UPDATED" for r in results), **_summary(results),
            "report": describe(stored) if stored is not None else None}


def _range(body: dict) -> tuple[dt.date, dt.date]:
    start, end = body["startDate"], body["endDate"]
    with get_db().session() as s:
        limit = get_int_parameter(s, "REPORT_RANGE_DAYS", "CPS", DEFAULT_RANGE_DAYS)
    if (end - start).days > limit:
        raise bad_request(f"The report range may span at most {limit} days",
                          [{"field": "endDate", "message": f"must be at most {limit} days after startDate"}])
    return start, end


@blp.route("/reports", methods=["GET"])
@require_jwt(CPS_ROLES)  # before the body is parsed: no validation details for unknown callers
@blp.arguments(ReportRangeSchema, location="query")
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@blp.doc(responses={"200": {"description": "The CPS reports created in the range", "content": {"application/json": {"schema": ReportListSchema}}}})
@blp.doc(security=JWT)
def cps_reports(query: dict):
    """The CPS reports created from startDate to endDate (yyyy-MM-dd, at most 90 days), newest first."""
    start, end = _range(query)
    with get_db().session() as s:
        reports = [describe(r) for r in list_reports(s, start, end)]
    return {"startDate": start.isoformat(), "endDate": end.isoformat(), "reports": reports}


@blp.route("/reports", methods=["POST"])
@require_jwt(CPS_ROLES)  # before the body is parsed: no validation details for unknown callers
@blp.arguments(ReportRangeSchema)
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@blp.doc(responses={"201": {"description": "The report generated", "content": {"application/json": {"schema": ReportCreatedSchema}}}})
@blp.doc(security=JWT)
def cps_generate_report(body: dict):
    """Generate a report of every change (any source) whose date_of_change is in the range (§8.2 steps 5-7)."""
    start, end = _range(body)
    officer, report_dir = _officer(), current_app.config["OCMS_REPORT_DIR"]

    def work(uow, attempt):
        stored = None
        try:
            rows = report_rows(uow.session, start=start, end=end)
            stored = store_report(uow.session, report_dir, rows, officer,
                                  {"startDate": start.isoformat(), "endDate": end.isoformat(), "changes": len(rows)},
                                  prefix="CPS_Range_Report")
            uow.commit()
        except BaseException:
            if stored is not None:
                Path(stored.storage_path).unlink(missing_ok=True)
            raise
        return stored, len(rows)
    stored, changes = run_in_transaction(get_db(), work, what="CPS range report")
    return {"report": describe(stored), "changes": changes}, 201


@blp.route(f"/reports/<int(max={id_max(ReportFile.id)}):report_id>", methods=["GET"])
@require_jwt(CPS_ROLES)  # before the body is parsed: no validation details for unknown callers
@blp.alt_response(401, description="Missing or wrong JWT (OCMS-4001)")
@blp.alt_response(403, description="A valid JWT without role OIC (OCMS-4003)")
@blp.alt_response(404, description="No such CPS report (OCMS-4004)")
@blp.doc(responses={"200": {"description": "The report (.xlsx)", "content": {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}})
@blp.doc(security=JWT)
def cps_report_download(report_id: int):
    """Download one CPS report (.xlsx)."""
    with get_db().session() as s:
        row = s.get(ReportFile, report_id)
        if row is None or row.report_type != REPORT_TYPE:
            raise not_found(f"No CPS report {report_id}", [{"field": "reportId", "message": "unknown report"}])
        path, name, mimetype = Path(row.storage_path), row.file_name, row.content_type
    if not path.is_file():
        raise ApiError(404, f"CPS report {report_id} is no longer in the report store",
                       [{"field": "reportId", "message": "file missing from the report store"}])
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
