"""The REPCCS and CES webhook payloads (OCMS 10 §3.2 RepWebHookPayloadDto, §3.3 CesCreateNoticeDto).

Both carry the same fields; lengths are the spec's. Where the spec's length
cannot hold values the spec itself uses, the column width applies instead
(documented per field): ``vehicleCategory`` is string(1) but carries LB/HL
(BR-AN-EXEMPT-002), and ``vehicleNo`` is string(14) but carries the UPL
placeholder ``UNLICENSED_PARKING`` (18).

Mandatory (BR-AN-REP-001 / BR-AN-CES-001): vehicleNo, computerRuleCode,
compositionAmount, noticeDateAndTime, offenceNoticeType, subsystemLabel.
vehicleRegistrationType is mandatory unless special vehicle detection sets it
(rules/vehicle_type.yaml). noticeNo is generated when absent. Unknown fields
are ignored (callers add fields over time; nothing unknown is stored).

Identity (DESIGN.md §10, api/web/fields.py): ``vehicleNo`` loses every space
and is upper-cased (``szz 7001a`` → ``SZZ7001A``), ``noticeNo`` is trimmed and
upper-cased, and the codes (``anFlag``, ``offenceNoticeType``,
``vehicleCategory``, ``vehicleRegistrationType``, ``subsystemLabel``,
``ppCode``) are accepted in either case and stored upper-case.
"""
from __future__ import annotations

from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates

from api.web.fields import Code, NoticeNo, VehicleNo

#: The spec's UPL placeholder vehicle number (OCMS 10 §3.4), longer than the payload's 14.
UPL_VEHICLE_NO = "UNLICENSED_PARKING"
OFFENCE_NOTICE_TYPES = ("O", "E", "U")
MANDATORY = ("subsystemLabel", "vehicleNo", "computerRuleCode", "compositionAmount", "noticeDateAndTime",
             "offenceNoticeType")
MAX_AMOUNT = Decimal("99999999.99")  # Numeric(10, 2)
REQUIRED_MESSAGE = "Missing mandatory field"


def _text(max_len: int, required: bool = False, min_len: int = 0, cls: type = fields.String, **kw) -> fields.String:
    return cls(required=required, allow_none=not required,
                         validate=validate.Length(min=max(min_len, 1 if required else 0), max=max_len),
                         error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE}, **kw)


class NoticePayloadSchema(Schema):
    """Fields common to RepWebHookPayloadDto and CesCreateNoticeDto (camelCase as sent)."""

    class Meta:
        unknown = EXCLUDE
        ordered = True

    transactionId = _text(50, metadata={"description": "caller's transaction id, stored as transaction_id"})
    subsystemLabel = _text(8, required=True, cls=Code, metadata={"description": "string(8)"})
    anFlag = _text(1, cls=Code, metadata={"description": "string(1); ignored for REPCCS, used by CES (EHT)"})
    noticeNo = _text(10, cls=NoticeNo, metadata={"description": "string(10); generated when absent (9 digits + check letter)"})
    vehicleNo = VehicleNo(required=True, error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE},
                              metadata={"description": f"string(14), or the UPL placeholder {UPL_VEHICLE_NO}"})
    computerRuleCode = fields.Integer(required=True, strict=True,
                                      error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE})
    compositionAmount = fields.Decimal(required=True, places=None, allow_nan=False,
                                       validate=validate.Range(min=Decimal("0"), max=MAX_AMOUNT),
                                       error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE})
    noticeDateAndTime = fields.DateTime(required=True,
                                        error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE})
    offenceNoticeType = Code(required=True, validate=validate.OneOf(OFFENCE_NOTICE_TYPES),
                                      error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE})
    vehicleCategory = _text(2, cls=Code, metadata={"description": "string(1) in the spec; LB/HL need 2"})
    vehicleRegistrationType = _text(1, cls=Code, metadata={"description": "string(1): S D V I F X ...; "
                                                 "mandatory unless detected (MID/MINDEF, UNLICENSED_PARKING)"})
    ppCode = _text(5, cls=Code)
    ppName = _text(100)
    creUserId = _text(50, metadata={"description": "stored as cre_user_id"})
    creDate = fields.DateTime(allow_none=True, metadata={"description": "accepted, not stored: cre_date is the time OCMS "
                                                                        "created the notice"})

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        # An empty or blank string is a missing value, as the mandatory check means it.
        if isinstance(data, dict):
            return {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in data.items()}
        return data

    @validates("vehicleNo")
    def _vehicle_no(self, value: str, **kwargs) -> None:
        if len(value) > 14 and value != UPL_VEHICLE_NO:
            raise ValidationError("Longer than maximum length 14.")

    @validates("compositionAmount")
    def _amount(self, value: Decimal, **kwargs) -> None:
        if value.as_tuple().exponent < -2:
            raise ValidationError("At most 2 decimal places.")

    @validates("noticeDateAndTime")
    def _naive(self, value, **kwargs) -> None:
        if value.tzinfo is not None:
            raise ValidationError("Send local (SGT) time without an offset, e.g. 2026-01-15T08:30:00.")


class RepccsPayloadSchema(NoticePayloadSchema):
    """RepWebHookPayloadDto (POST /v1/repccsWebhook)."""


class CesPayloadSchema(NoticePayloadSchema):
    """CesCreateNoticeDto (POST /v1/cesWebhook-create-notice); subsystemLabel checked by rules/ces_subsystem.yaml."""

    subsystemLabel = Code(required=True, error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE},
                                   metadata={"description": "3-8 characters, first three digits 030-999"})


def missing_fields(messages: dict) -> list[str]:
    """The fields a marshmallow error reports as missing."""
    return [f for f, m in messages.items() if isinstance(m, list) and REQUIRED_MESSAGE in m]


__all__ = ["CesPayloadSchema", "MANDATORY", "NoticePayloadSchema", "RepccsPayloadSchema", "UPL_VEHICLE_NO",
           "missing_fields"]
