"""The ANS report for the Staff Portal (OCMS 10 §3.8); any Staff Portal JWT.

``GET /v1/an/reports/ans?dateFrom=2026-01-01&dateTo=2026-01-31[&vehicleNo=SBA1234A][&subsystem=030][&format=xlsx|pdf]``

* Criteria: both dates ``yyyy-MM-dd``, ``dateFrom`` on or before ``dateTo``, at most
  ``REPORT_RANGE_DAYS/ANS`` (31) days counting both ends; ``vehicleNo`` letters and
  digits (≤ 20) once normalised like every stored vehicle number (``sba 1234a`` is
  SBA1234A), ``subsystem`` alphanumeric (≤ 8, any case). Otherwise OCMS-4000 / 400 naming the
  field ("Date range exceeds 31 days" for a long range).
* Rows found: the file (Excel by default, or PDF) is kept in the report store with
  an ``ocms_report_file`` row and returned as an attachment; ``X-Report-Id`` names
  the row, so ``GET /v1/an/reports/ans/<id>`` downloads it again.
* No rows: 200 ``{"data": {"appCode": "OCMS-2000", "message": "No records found for the
  selected criteria", "totalRecords": 0}}`` and no file: the spec returns a message,
  not an error, and the portal tells the two apart by the JSON content type.
"""
from __future__ import annotations

import logging

from flask import current_app, g, jsonify, send_file
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from api.database import get_db, run_in_transaction
from api.web.auth import require_jwt
from api.web.errors import bad_request, not_found
from api.web.fields import Code, StrictDate, VehicleNo, id_max
from api.web.smorest import Blueprint, ErrorEnvelopeSchema
from api.web.logging import caller_system
from repository.models import ReportFile, now

from . import ans_rows, max_range_days, read_report, render_pdf, render_xlsx, store_report
from .query import AnsCriteria
from .store import CONTENT_TYPES, discard

log = logging.getLogger(__name__)

blp = Blueprint("an_reports", __name__, url_prefix="/v1/an/reports",
                description="Advisory Notice reports for the Staff Portal (OCMS 10 §3.8)")

REPORT_TYPE = "ANS"
NO_RECORDS = "No records found for the selected criteria"
STAFF_JWT = [{"staffPortalJwt": []}]
DATE_MESSAGE = {"invalid": "must be a date yyyy-MM-dd"}


class AnsReportQuerySchema(Schema):
    dateFrom = StrictDate(required=True, error_messages=DATE_MESSAGE, metadata={"description": "first suspension date, yyyy-MM-dd"})
    dateTo = StrictDate(required=True, error_messages=DATE_MESSAGE, metadata={"description": "last suspension date (inclusive), yyyy-MM-dd"})
    # Normalised like every vehicle number the service stores (spaces removed, upper case): "sba 1234a" finds SBA1234A.
    vehicleNo = VehicleNo(load_default=None, validate=validate.Regexp(
        r"^[A-Z0-9_]{0,20}$", error="must be letters and digits, at most 20 characters"))
    subsystem = Code(load_default=None, validate=validate.Regexp(
        r"^[A-Z0-9]{0,8}$", error="must be a subsystem code: alphanumeric, at most 8 characters"))
    # A code like the others: accepted in any case ("PDF", " pdf"), compared upper-case, used lower-case.
    format = Code(load_default="XLSX", validate=validate.OneOf(["XLSX", "PDF"], error="must be xlsx or pdf"),
                  metadata={"description": "xlsx (default) or pdf, in any case"})

    @validates_schema
    def _from_before_to(self, data, **kwargs):
        if data.get("dateFrom") and data.get("dateTo") and data["dateFrom"] > data["dateTo"]:
            raise ValidationError("must be on or before dateTo", "dateFrom")


def _download(row: ReportFile):
    path = read_report(current_app.config["OCMS_REPORT_DIR"], row)
    if path is None:
        raise not_found("Report file not found", [{"field": "reportId", "message": f"report {row.id} has no file"}])
    resp = send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.file_name)
    resp.headers["X-Report-Id"] = str(row.id)
    total = (row.params or {}).get("totalRecords")
    if total is not None:
        resp.headers["X-Total-Records"] = str(total)
    return resp


@blp.route("/ans", methods=["GET"])
@blp.arguments(AnsReportQuerySchema, location="query", unknown=RAISE)
@blp.doc(responses={"200": {"description": "The report file (Excel or PDF); or, with no rows, the OCMS-2000 message",
                             "content": {"application/json": {"schema": ErrorEnvelopeSchema},
                                         CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                                         CONTENT_TYPES["pdf"]: {"schema": {"type": "string", "format": "binary"}}}}})
@blp.alt_response(400, description="Invalid criteria (OCMS-4000), each field named")
@blp.alt_response(401, description="No valid Staff Portal JWT (OCMS-4001)")
@blp.doc(security=STAFF_JWT)
@require_jwt()
def ans_report(query: dict):
    """Generate the Advisory Notice Suspension report for a date range (≤ 31 days)."""
    criteria = AnsCriteria(query["dateFrom"], query["dateTo"],
                           query["vehicleNo"] or None, query["subsystem"] or None)
    fmt = query["format"].lower()
    report_dir, caller = current_app.config["OCMS_REPORT_DIR"], getattr(g, "caller", None)

    def work(uow, attempt) -> ReportFile | None:
        limit = max_range_days(uow.session)
        days = (criteria.date_to - criteria.date_from).days + 1
        if days > limit:
            raise bad_request(f"Date range exceeds {limit} days", [
                {"field": "dateTo", "message": f"at most {limit} days from dateFrom (both included), got {days}"}])
        rows = ans_rows(uow.session, criteria)
        if not rows:
            return None
        render = render_pdf if fmt == "pdf" else render_xlsx
        data = render(rows, criteria, now())
        params = {**criteria.to_params(), "format": fmt, "totalRecords": len(rows)}
        row = store_report(uow.session, report_dir, REPORT_TYPE,
                           f"ANS_Report_{criteria.date_from:%Y%m%d}_{criteria.date_to:%Y%m%d}", fmt, data,
                           caller, params)
        try:
            uow.commit()  # here, so that a failed commit removes this try's file too
        except Exception:
            discard(report_dir, row)
            raise
        return row
    row = run_in_transaction(get_db(), work, what="ANS report")
    if row is None:
        return jsonify({"data": {"appCode": "OCMS-2000", "message": NO_RECORDS, "totalRecords": 0}})
    # Who and which particulars stay in the report row (ocms_report_file): the log names neither (README "Logs").
    log.info("ANS report %s generated for %s: %s to %s, %s, %d records", row.id, caller_system(getattr(g, "caller", None)),
             row.params.get("dateFrom"), row.params.get("dateTo"), row.params.get("format"),
             row.params.get("totalRecords") or 0)
    return _download(row)


@blp.route(f"/ans/<int(max={id_max(ReportFile.id)}):report_id>", methods=["GET"])
@blp.doc(responses={"200": {"description": "A stored ANS report file", "content": {
    CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
    CONTENT_TYPES["pdf"]: {"schema": {"type": "string", "format": "binary"}}}}})
@blp.alt_response(401, description="No valid Staff Portal JWT (OCMS-4001)")
@blp.alt_response(404, description="No such ANS report (OCMS-4004)")
@blp.doc(security=STAFF_JWT)
@require_jwt()
def ans_report_file(report_id: int):
    """Download an ANS report generated earlier."""
    with get_db().session() as s:
        row = s.get(ReportFile, report_id)
        if row is None or row.report_type != REPORT_TYPE:
            raise not_found("Report not found", [{"field": "reportId", "message": f"no ANS report {report_id}"}])
        s.expunge(row)
    return _download(row)
