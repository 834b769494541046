"""Stored Classified Vehicle Notices Reports for the Staff Portal (OCMS 14 tab 6); any Staff Portal JWT.

* ``GET /v1/vip/reports/classified[?limit=]`` — the latest reports, newest first: id, date, counts,
  whether the email went out, the CAS warning if any.
* ``GET /v1/vip/reports/classified/<id>`` — download one (the .xlsx), e.g. to send it by hand when the
  email failed (the ``REPORT_EMAIL`` row of ``ocms_manual_review_queue`` names the id).
"""
from __future__ import annotations

from flask import current_app, send_file
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select

from api.advisory.ans_report.store import read_report
from api.database import get_db
from api.web.auth import require_jwt
from api.web.errors import not_found
from api.web.fields import id_max
from api.web.smorest import Blueprint
from repository.models import ReportFile

from .job import REPORT_TYPE, report_url

blp = Blueprint("vip_reports", __name__, url_prefix="/v1/vip/reports",
                description="Classified Vehicle Notices Report (OCMS 14 tab 6)")
STAFF_JWT = [{"staffPortalJwt": []}]


class ListQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=31, validate=validate.Range(min=1, max=366))


def describe(row: ReportFile) -> dict:
    p = row.params or {}
    return {"reportId": row.id, "reportDate": p.get("reportDate"), "fileName": row.file_name,
            "createdAt": row.created_at.isoformat(), "url": report_url(row.id),
            "total": p.get("total"), "outstanding": p.get("outstanding"), "settled": p.get("settled"),
            "amended": p.get("amended"), "emailSent": bool(p.get("emailSent")), "warning": p.get("warning")}


@blp.route("/classified", methods=["GET"])
@require_jwt()
@blp.arguments(ListQuerySchema, location="query", unknown=RAISE)
@blp.doc(security=STAFF_JWT)
@blp.alt_response(401, description="No valid Staff Portal JWT (OCMS-4001)")
def list_view(query: dict):
    """The latest classified vehicle reports, newest first."""
    with get_db().session() as s:
        rows = s.scalars(select(ReportFile).where(ReportFile.report_type == REPORT_TYPE)
                         .order_by(ReportFile.id.desc()).limit(query["limit"])).all()
        return {"reports": [describe(r) for r in rows]}


@blp.route(f"/classified/<int(max={id_max(ReportFile.id)}):report_id>", methods=["GET"])  # a larger id is 404
@require_jwt()
@blp.doc(security=STAFF_JWT)
@blp.alt_response(401, description="No valid Staff Portal JWT (OCMS-4001)")
@blp.alt_response(404, description="No such report (OCMS-4004)")
def download_view(report_id: int):
    """Download a stored Classified Vehicle Notices Report."""
    with get_db().session() as s:
        row = s.get(ReportFile, report_id)
        if row is None or row.report_type != REPORT_TYPE:
            raise not_found("Report not found", [{"field": "reportId", "message": f"no classified report {report_id}"}])
        s.expunge(row)
    path = read_report(current_app.config["OCMS_REPORT_DIR"], row)
    if path is None:
        raise not_found("Report file not found", [{"field": "reportId", "message": f"report {report_id} has no file"}])
    resp = send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.file_name)
    resp.headers["X-Report-Id"] = str(row.id)
    return resp
