"""Payloads of the VIP endpoints; bad input is OCMS-4000 naming the field."""
from __future__ import annotations

from marshmallow import Schema, fields, post_load, pre_load, validate
from repository.identity import normalise_code, normalise_notice_no

#: Most notices per revival request (one Staff Portal selection); OCMS-4013 above (BATCH_LIMIT/VIP_REVIVAL).
MAX_NOTICES = 500

NOTICE_NO = fields.String(validate=validate.Regexp(r"^[A-Z0-9]{1,10}$",
                                                   error="must be a notice number of 1-10 letters and digits"))


class RevivalSchema(Schema):
    """``POST /v1/vip/revival``: the notices, the reason of revival (a code of ruleset suspension_revival), remarks."""

    noticeNumbers = fields.List(NOTICE_NO, required=True, validate=validate.Length(min=1))
    revivalReason = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Z0-9]{1,3}$", error="must be a reason code of 1-3 letters or digits, e.g. INV"))
    remarks = fields.String(load_default=None, allow_none=True, validate=[
        validate.Length(max=200), validate.Regexp(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
                                                  error="must not contain control characters")])

    @pre_load
    def normalise(self, data, **kwargs):
        """Notice numbers and codes in either case and with surrounding spaces (DESIGN.md §10)."""
        if isinstance(data, dict):
            data = dict(data)
            nos = data.get("noticeNumbers")
            if isinstance(nos, list):
                data["noticeNumbers"] = [normalise_notice_no(n) if isinstance(n, str) else n for n in nos]
            if isinstance(data.get("revivalReason"), str):
                data["revivalReason"] = normalise_code(data["revivalReason"])
        return data

    @post_load
    def dedupe(self, data, **kwargs):
        data["noticeNumbers"] = list(dict.fromkeys(data["noticeNumbers"]))
        return data


class RevivalResultSchema(Schema):
    noticeNo = fields.String()
    status = fields.String(metadata={"description": "REVIVED or NOT_REVIVED"})
    revivedSuspension = fields.String(metadata={"description": "e.g. TS-OLD"})
    dateOfRevival = fields.String()
    nextStage = fields.String(allow_none=True)
    nextStageDate = fields.String(allow_none=True)
    code = fields.String(metadata={"description": "why not: OCMS.VIP.REV.NOT_FOUND / NOT_SUSPENDED / NOT_REVIVABLE"})
    message = fields.String()


class RevivalResponseSchema(Schema):
    revived = fields.Integer()
    notRevived = fields.Integer()
    results = fields.List(fields.Nested(RevivalResultSchema))
