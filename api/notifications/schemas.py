"""Payloads of the AN manual review endpoints (Staff Portal); bad input is OCMS-4000 / 400 naming the field.

    GET  /v1/an/notifications/reviews?status=OPEN&reviewType=AN_LTA_FAILED&noticeNo=&limit=&offset=
    POST /v1/an/notifications/reviews/<id>/resolve   {"action": "RETRY", "remarks": "owner corrected in LTA"}
                                                     {"action": "CLOSE", "remarks": "letter sent by hand"}
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from api.furnish.schemas import Code, Text
from api.web.fields import NoticeNo

ACTIONS = ("RETRY", "CLOSE")
STATUSES = ("OPEN", "RESOLVED", "CLOSED", "ALL")
REMARKS_MAX = 500


class ReviewQuerySchema(Schema):
    """GET /v1/an/notifications/reviews."""

    class Meta:
        unknown = RAISE

    status = Code(load_default="OPEN", validate=validate.OneOf(STATUSES),
                  metadata={"description": "OPEN (default), RESOLVED (retried), CLOSED, or ALL"})
    reviewType = Code(load_default=None, validate=[validate.Length(min=4, max=30), validate.Regexp(r"AN_[A-Z_]+")],
                      metadata={"description": "e.g. AN_LTA_FAILED, AN_MHA_NO_ADDRESS, AN_SLIFT_REJECTED"})
    noticeNo = NoticeNo(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class ResolveSchema(Schema):
    """POST /v1/an/notifications/reviews/<id>/resolve."""

    class Meta:
        unknown = RAISE

    action = Code(required=True, validate=validate.OneOf(ACTIONS),
                  metadata={"description": "RETRY: run the notification again from the failed step (e.g. after the "
                                           "particulars were corrected); CLOSE: end it here, with a remark"})
    remarks = Text(load_default=None, validate=validate.Length(min=1, max=REMARKS_MAX))

    @validates_schema
    def _remarks_to_close(self, data, **kwargs):
        if data.get("action") == "CLOSE" and not data.get("remarks"):
            raise ValidationError("Remarks are mandatory to close a review item", "remarks")


__all__ = ["ACTIONS", "ResolveSchema", "ReviewQuerySchema", "STATUSES"]
