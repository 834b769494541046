"""Payloads of the furnish endpoints (OCMS 14 tab 4); bad input is OCMS-4000 / 400 naming the field.

eService (internet zone)::

    POST /v1/eservice/furnishApplication
    {"noticeNo": "500500303J", "furnishType": "DRIVER",
     "particulars": {"idType": "NRIC", "idNumber": "S1234567D", "name": "JOHN DOE", "contactNo": "91234567"}}
    -> {"success": true, "applicationId": "FA20260115001", "status": "PENDING_APPROVAL"}

Everything is trimmed first; codes (``furnishType``, ``idType``) and the ID
number are accepted in any case and stored upper-case (DESIGN.md §10); inner
runs of spaces in a name are collapsed to one.
"""
from __future__ import annotations

import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from api.web.fields import NoticeNo

from .id_numbers import ID_TYPES, validate_id_number

FURNISH_TYPES = ("DRIVER", "HIRER")
NAME_MAX = 66          # ocms_offence_notice_owner_driver.name
REMARKS_MAX = 200      # ocms_furnish_application.decision_remarks / rejection_reason
NAME_PUNCTUATION = frozenset(" .,'-/@()")
#: A Singapore number (8 digits starting 3, 6, 8 or 9) or an international one (+, 8-15 digits).
CONTACT = re.compile(r"(\+[1-9][0-9]{7,14}|[3689][0-9]{7})")


class Text(fields.String):
    """Text trimmed of surrounding blanks; inner runs of white space become one space; control characters refused."""

    default_error_messages = {"control": "must not contain control characters"}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
            raise self.make_error("control")
        return " ".join(value.split())


class Code(Text):
    """An enumerated code, accepted in any case, loaded upper-case (validate with OneOf on the upper-case values)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).upper()


def _name(value: str) -> None:
    if not value or not any(c.isalpha() for c in value) or any(
            not (c.isalpha() or c in NAME_PUNCTUATION) for c in value):
        raise ValidationError("must be a person's or company's name: letters, spaces and . , ' - / @ ( )")


def _contact(value: str) -> None:
    if not CONTACT.fullmatch(value):
        raise ValidationError("must be a phone number: 8 digits starting 3, 6, 8 or 9, or +country code and number")


class ParticularsSchema(Schema):
    """The furnished driver or hirer."""

    class Meta:
        unknown = RAISE

    idType = Code(required=True, validate=validate.OneOf(ID_TYPES), metadata={"example": "NRIC"})
    idNumber = Code(required=True, validate=validate.Length(min=1, max=20),
                    metadata={"description": "NRIC (S/T) or FIN (F/G/M) with its check letter, or passport number",
                              "example": "S1234567D"})
    name = Text(required=True, validate=[validate.Length(min=1, max=NAME_MAX), _name],
                metadata={"example": "JOHN DOE"})
    contactNo = Text(required=True, validate=[validate.Length(max=20), _contact], metadata={"example": "91234567"})
    emailAddress = Text(load_default=None, allow_none=True,
                        validate=[validate.Length(max=320), validate.Email(error="must be an email address")])

    def load(self, data, *args, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("contactNo"), str):
            # People write 9123 4567 or 9123-4567: the same number.
            data = {**data, "contactNo": re.sub(r"[ \-]", "", data["contactNo"])}
        return super().load(data, *args, **kwargs)

    @validates_schema(skip_on_field_errors=False)
    def _id_number(self, data, **kwargs):
        if "idType" in data and "idNumber" in data:
            try:
                data["idNumber"] = validate_id_number(data["idType"], data["idNumber"])
            except ValueError as e:
                raise ValidationError(str(e), "idNumber") from None


class FurnishRequestSchema(Schema):
    """POST /v1/eservice/furnishApplication."""

    class Meta:
        unknown = RAISE

    noticeNo = NoticeNo(required=True, metadata={"example": "500500303J"})
    furnishType = Code(required=True, validate=validate.OneOf(FURNISH_TYPES), metadata={"example": "DRIVER"})
    particulars = fields.Nested(ParticularsSchema, required=True)


class FurnishResponseSchema(Schema):
    success = fields.Boolean(metadata={"example": True})
    applicationId = fields.String(metadata={"example": "FA20260115001"})
    status = fields.String(metadata={"example": "PENDING_APPROVAL"})


class ApplicationStatusSchema(Schema):
    """What the eService may show of an application."""

    applicationId = fields.String()
    noticeNo = fields.String()
    furnishType = fields.String()
    status = fields.String(metadata={"enum": ["PENDING_APPROVAL", "APPROVED", "REJECTED"]})
    submittedDate = fields.String()
    decisionDate = fields.String(allow_none=True)
    rejectionReason = fields.String(allow_none=True)


class ReviewListQuerySchema(Schema):
    """GET /v1/furnish/applications."""

    class Meta:
        unknown = RAISE

    status = Code(load_default="PENDING_APPROVAL", validate=validate.OneOf(["PENDING_APPROVAL", "APPROVED", "REJECTED"]))
    queue = Code(load_default="REVIEW", validate=validate.OneOf(["REVIEW", "ALL"]),
                 metadata={"description": "REVIEW (default): pending applications in the OIC review queue; "
                                          "ALL: every application of the status"})
    noticeNo = NoticeNo(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class FurnishDecisionSchema(Schema):
    """POST /v1/furnish/applications/<id>/approve | /reject."""

    class Meta:
        unknown = RAISE

    remarks = Text(load_default=None, allow_none=True, validate=validate.Length(max=REMARKS_MAX))


class FurnishRejectSchema(FurnishDecisionSchema):
    remarks = Text(required=True, validate=validate.Length(min=1, max=REMARKS_MAX),
                   metadata={"description": "why the application is rejected (shown to the eService user)"})


__all__ = ["ApplicationStatusSchema", "FurnishDecisionSchema", "FURNISH_TYPES", "FurnishRequestSchema",
           "FurnishResponseSchema", "ParticularsSchema", "FurnishRejectSchema", "ReviewListQuerySchema"]
