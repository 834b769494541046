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

Identity (DESIGN.md §10, api/web/fields.py): ``vehicleNo`` is NFKC-folded, loses
every space and invisible (Cf) character and is upper-cased (``szz 7001a``,
``ＳＺＺ７００１Ａ``, ``SZZ\u200b7001A`` → ``SZZ7001A``), and must then be letters and
digits only (``SZZ-7001`` is refused, field named), ``noticeNo`` is trimmed and
upper-cased, and the codes (``anFlag``, ``offenceNoticeType``,
``vehicleCategory``, ``vehicleRegistrationType``, ``subsystemLabel``,
``ppCode``) are accepted in either case and stored upper-case.
"""
from __future__ import annotations

from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates

from api.web.fields import Code, EventDateTime, NoticeNo, VehicleNo, column_amount_range, integer_bounds, max_length
from repository.identity import is_blank, is_vehicle_no
from repository.models import ValidOffenceNotice as N

#: The spec's UPL placeholder vehicle number (OCMS 10 §3.4), longer than the payload's 14.
UPL_VEHICLE_NO = "UNLICENSED_PARKING"
OFFENCE_NOTICE_TYPES = ("O", "E", "U")
MANDATORY = ("subsystemLabel", "vehicleNo", "computerRuleCode", "compositionAmount", "noticeDateAndTime",
             "offenceNoticeType")
AMOUNT_RANGE = column_amount_range(N.composition_amount)  # Numeric(10, 2): 0 to 99999999.99
MAX_AMOUNT = AMOUNT_RANGE.max
RULE_CODE_MIN, RULE_CODE_MAX = 0, integer_bounds(N.computer_rule_code)[1]  # an Integer column
REQUIRED_MESSAGE = "Missing mandatory field"
VEHICLE_NO_TOO_LONG = "Longer than maximum length 14."


def _text(max_len: int, required: bool = False, min_len: int = 0, cls: type = fields.String, **kw) -> fields.String:
    """A text field of at most ``max_len`` characters (pass the column's width: ``max_length(N.pp_name)``)."""
    return cls(required=required, allow_none=not required,
                         validate=validate.Length(min=max(min_len, 1 if required else 0), max=max_len),
                         error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE}, **kw)


class NoticePayloadSchema(Schema):
    """Fields common to RepWebHookPayloadDto and CesCreateNoticeDto (camelCase as sent)."""

    class Meta:
        unknown = EXCLUDE
        ordered = True

    transactionId = _text(max_length(N.transaction_id), metadata={"description": "caller's transaction id, stored as transaction_id"})
    subsystemLabel = _text(max_length(N.subsystem_label), required=True, cls=Code, metadata={"description": "string(8)"})
    anFlag = _text(1, cls=Code, metadata={"description": "string(1); ignored for REPCCS, used by CES (EHT)"})
    noticeNo = _text(max_length(N.notice_no), cls=NoticeNo, metadata={"description": "string(10); generated when absent (9 digits + check letter)"})
    # Its length (14, or the UPL placeholder's 18) is checked by _vehicle_no; the bound here (the longest
    # acceptable value) stops a huge value early, with the same message: one message whatever the length.
    vehicleNo = VehicleNo(required=True, error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE},
                          validate=validate.Length(max=len(UPL_VEHICLE_NO), error=VEHICLE_NO_TOO_LONG),
                          metadata={"description": f"string(14), or the UPL placeholder {UPL_VEHICLE_NO}",
                                    "maxLength": len(UPL_VEHICLE_NO)})
    computerRuleCode = fields.Integer(required=True, strict=True,
                                      validate=validate.Range(min=RULE_CODE_MIN, max=RULE_CODE_MAX),
                                      error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE})
    compositionAmount = fields.Decimal(required=True, places=None, allow_nan=False, validate=AMOUNT_RANGE,
                                       error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE})
    noticeDateAndTime = EventDateTime(required=True,
                                      error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE},
                                      metadata={"description": "local time without an offset; not before "
                                                               "OCMS_EARLIEST_DATE, at most a day ahead of now"})
    offenceNoticeType = Code(required=True, validate=validate.OneOf(OFFENCE_NOTICE_TYPES),
                             error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE})
    vehicleCategory = _text(max_length(N.vehicle_category), cls=Code, metadata={"description": "string(1) in the spec; LB/HL need 2"})
    vehicleRegistrationType = _text(max_length(N.vehicle_registration_type), cls=Code, metadata={"description": "string(1): S D V I F X ...; "
                                                 "mandatory unless detected (MID/MINDEF, UNLICENSED_PARKING)"})
    ppCode = _text(max_length(N.pp_code), cls=Code)
    ppName = _text(max_length(N.pp_name))
    creUserId = _text(max_length(N.cre_user_id), metadata={"description": "stored as cre_user_id"})
    creDate = EventDateTime(allow_none=True, local_only=False, metadata={"description": "accepted, not stored: cre_date is the time OCMS "
                                                                        "created the notice"})

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        # An empty or blank string is a missing value, as the mandatory check means it.
        if isinstance(data, dict):
            return {k: (None if isinstance(v, str) and is_blank(v) else v) for k, v in data.items()}
        return data

    @validates("vehicleNo")
    def _vehicle_no(self, value: str, **kwargs) -> None:
        if value == UPL_VEHICLE_NO:
            return
        if len(value) > 14:
            raise ValidationError(VEHICLE_NO_TOO_LONG)
        if not is_vehicle_no(value):
            raise ValidationError("Not a valid vehicle number: letters and digits only (spaces, case, full-width forms "
                                  f"and invisible characters are normalised), or {UPL_VEHICLE_NO}.")

    @validates("compositionAmount")
    def _amount(self, value: Decimal, **kwargs) -> None:
        if value.as_tuple().exponent < -2:
            raise ValidationError("At most 2 decimal places.")



class RepccsPayloadSchema(NoticePayloadSchema):
    """RepWebHookPayloadDto (POST /v1/repccsWebhook)."""


class CesPayloadSchema(NoticePayloadSchema):
    """CesCreateNoticeDto (POST /v1/cesWebhook-create-notice); subsystemLabel checked by rules/ces_subsystem.yaml."""

    # Its length (3-8) is checked by rules/ces_subsystem.yaml with the spec's message, before anything is stored.
    subsystemLabel = Code(required=True, error_messages={"required": REQUIRED_MESSAGE, "null": REQUIRED_MESSAGE},
                                   metadata={"description": "3-8 characters, first three digits 030-999"})


def missing_fields(messages: dict) -> list[str]:
    """The fields a marshmallow error reports as missing."""
    return [f for f, m in messages.items() if isinstance(m, list) and REQUIRED_MESSAGE in m]


__all__ = ["CesPayloadSchema", "MANDATORY", "NoticePayloadSchema", "RepccsPayloadSchema", "UPL_VEHICLE_NO",
           "missing_fields"]
