"""Payloads of the CPS endpoints (OCMS 15 §5.3, §5.4, §6.4, §7.4, §8.3); bad input is OCMS-4000 naming the field.

Notice numbers, vehicle numbers and codes go through the identity fields of
api/web/fields.py (trimmed, upper-cased; vehicle numbers lose their spaces),
so ``rd2``, `` RD2`` and ``RD2`` are one stage. The reason of change and its
remarks are checked per request by rules/cps_reason_of_change.yaml (routes).
"""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from api.web.fields import Code, NoticeNo, StrictDate, VehicleNo, WindowDateTime, max_length
from repository.business_time import to_business_time
from repository.identity import is_blank
from repository.models import ChangeOfProcessing, OffenceNoticeOwnerDriver

#: Most notices per Staff Portal validate/submit or PLUS request (one screen's selection); OCMS-4013 above.
MAX_NOTICES = 500
#: Most notices per Toppan batch.
MAX_TOPPAN_NOTICES = 50_000

STAGE = validate.Regexp(r"^[A-Z0-9]{3}$", error="must be a 3-character stage code, e.g. RD2")
SEARCH_CRITERIA = ("noticeNo", "idNo", "vehicleNo", "currentProcessingStage", "dateOfCurrentProcessingStage")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _naive(value):
    """Aware datetimes (with an offset) become naive business time, as every column is (repository/business_time.py)."""
    return to_business_time(value) if value is not None else None


class SearchSchema(Schema):
    """§5.3: at least one criterion; an empty, blank or null one is not given (VAL010 if none is left)."""

    noticeNo = NoticeNo()
    idNo = Code(validate=validate.Length(min=1, max=max_length(OffenceNoticeOwnerDriver.id_no)), metadata={"description": "NRIC/FIN/UEN, trimmed and upper-cased"})
    vehicleNo = VehicleNo(validate=validate.Length(min=1, max=14))
    currentProcessingStage = Code(validate=STAGE)
    dateOfCurrentProcessingStage = StrictDate(format="%Y-%m-%d")

    @pre_load
    def _blank_is_not_given(self, data, **kwargs):
        # The portal sends the empty inputs of its form too: "", "   ", "\u200b" or null are no criterion.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (k in SEARCH_CRITERIA and is_blank(v))}
        return data

    @validates_schema
    def at_least_one(self, data, **kwargs):
        if not any(data.get(k) not in (None, "") for k in SEARCH_CRITERIA):
            # VAL010 (§3.3 D1): name every criterion the caller may give.
            raise ValidationError({k: ["VAL010: at least one search criterion is required"] for k in SEARCH_CRITERIA})


class ChangeSchema(Schema):
    """§5.4: the notices selected, the new stage, the reason, remarks (mandatory for OTH: cps_reason_of_change)."""

    noticeNumbers = fields.List(NoticeNo(), required=True, validate=validate.Length(min=1))
    newProcessingStage = Code(required=True, validate=STAGE)
    reasonOfChange = Code(required=True, validate=validate.Regexp(r"^[A-Z0-9]{1,3}$",
                                                                  error="must be a reason code of 1-3 characters"),
                          metadata={"description": "one of cps_reason_of_change's reason_codes (OTH needs remarks)"})
    remarks = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    isConfirmation = fields.Boolean(load_default=False)

    @post_load
    def dedupe(self, data, **kwargs):
        data["noticeNumbers"] = _unique(data["noticeNumbers"])
        return data


class ReportRangeSchema(Schema):
    """§8.3: yyyy-MM-dd dates; the range limit (REPORT_RANGE_DAYS/CPS) is checked by the use case."""

    startDate = StrictDate(required=True, format="%Y-%m-%d")
    endDate = StrictDate(required=True, format="%Y-%m-%d")

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("startDate") and data.get("endDate") and data["endDate"] < data["startDate"]:
            raise ValidationError({"endDate": ["must not be before startDate"]})


class PlusChangeSchema(Schema):
    """§6.4 (PLUS → OCMS); reasonOfChange, remarks, authorisedOfficer and isConfirmation are optional extras."""

    noticeNo = fields.List(NoticeNo(), required=True, validate=validate.Length(min=1))
    lastStageName = Code(required=True, validate=STAGE)
    nextStageName = Code(required=True, validate=STAGE)
    lastStageDate = WindowDateTime(load_default=None, allow_none=True)
    newStageDate = WindowDateTime(load_default=None, allow_none=True)
    offenceType = Code(required=True, validate=validate.OneOf(["O", "E", "U", "D", "H", "DIR"]))
    source = Code(required=True, validate=validate.Length(min=1, max=3))
    reasonOfChange = Code(load_default=None, allow_none=True, validate=validate.Length(min=1, max=3))
    remarks = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    authorisedOfficer = fields.String(load_default=None, allow_none=True,
                                      validate=validate.Length(max=max_length(ChangeOfProcessing.authorised_officer)))
    isConfirmation = fields.Boolean(load_default=False)

    @post_load
    def normalise(self, data, **kwargs):
        data["noticeNo"] = _unique(data["noticeNo"])
        data["lastStageDate"] = _naive(data["lastStageDate"])
        data["newStageDate"] = _naive(data["newStageDate"])
        return data


class ToppanRequestSchema(Schema):
    """One Toppan batch (module api.cps.toppan).

    ``noticeNumbers`` entries are taken as sent: a malformed one (not a string
    of 1-10 letters and digits) is a per-notice error of the batch (§7.2),
    not a refusal of the whole batch.
    """

    batchId = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    currentStage = Code(required=True, validate=STAGE)
    newStage = Code(required=True, validate=STAGE)
    noticeNumbers = fields.List(fields.Raw(allow_none=True), required=True,
                                validate=validate.Length(min=1, max=MAX_TOPPAN_NOTICES),
                                metadata={"description": "notice numbers; malformed or repeated entries are skipped "
                                                         "and listed in errors"})

    @validates_schema
    def moves(self, data, **kwargs):
        if data.get("currentStage") and data.get("currentStage") == data.get("newStage"):
            raise ValidationError({"newStage": ["must differ from currentStage"]})


# ---- responses (OpenAPI; the views build plain dicts of these shapes) --------------------------------------------
class _Open(Schema):
    """A response object that may grow fields (callers ignore what they do not know)."""

    class Meta:
        unknown = INCLUDE


class SearchNoticeSchema(_Open):
    noticeNo = fields.String()
    vehicleNo = fields.String(allow_none=True)
    offenceNoticeType = fields.String(allow_none=True)
    noticeDateAndTime = fields.String(allow_none=True)
    currentProcessingStage = fields.String(allow_none=True)
    dateOfCurrentProcessingStage = fields.String(allow_none=True)
    nextProcessingStage = fields.String(allow_none=True)
    nextProcessingDate = fields.String(allow_none=True)
    suspensionType = fields.String(allow_none=True)
    amountPayable = fields.Decimal(allow_none=True)
    offenderName = fields.String(allow_none=True)
    idNo = fields.String(allow_none=True)
    offenderRole = fields.String(allow_none=True)
    eligibleStages = fields.List(fields.String())
    reasonCode = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class SearchResponseSchema(Schema):
    total = fields.Integer()
    truncated = fields.Boolean()
    eligible = fields.List(fields.Nested(SearchNoticeSchema))
    ineligible = fields.List(fields.Nested(SearchNoticeSchema))


class ChangeResultSchema(_Open):
    noticeNo = fields.String()
    status = fields.String(metadata={"enum": ["CHANGEABLE", "WARNING", "NOT_CHANGEABLE", "UPDATED"]})
    code = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    field = fields.String()
    previousStage = fields.String(allow_none=True)
    newStage = fields.String(allow_none=True)
    nextStage = fields.String(allow_none=True)
    nextStageDate = fields.String(allow_none=True)


class ReportSchema(Schema):
    reportId = fields.Integer()
    fileName = fields.String()
    createdAt = fields.String()
    createdBy = fields.String(allow_none=True)
    url = fields.String()
    params = fields.Dict(allow_none=True)


class ValidateResponseSchema(Schema):
    results = fields.List(fields.Nested(ChangeResultSchema))
    changeable = fields.List(fields.String())
    warnings = fields.List(fields.String())
    nonChangeable = fields.List(fields.String())


class SubmitResponseSchema(ValidateResponseSchema):
    updated = fields.Integer()
    notUpdated = fields.Integer()
    report = fields.Nested(ReportSchema, allow_none=True)


class ReportListSchema(Schema):
    startDate = fields.String()
    endDate = fields.String()
    reports = fields.List(fields.Nested(ReportSchema))


class ReportCreatedSchema(Schema):
    report = fields.Nested(ReportSchema)
    changes = fields.Integer()


class PlusChangeResponseSchema(Schema):
    appCode = fields.String()
    message = fields.String()
    success = fields.List(fields.Nested(_Open))
    failed = fields.List(fields.Nested(_Open))


class ToppanResponseSchema(Schema):
    batchId = fields.String(allow_none=True)
    totalNotices = fields.Integer()
    automaticUpdates = fields.Integer()
    manualUpdates = fields.Integer()
    skipped = fields.Integer()
    errors = fields.List(fields.String())
    success = fields.Boolean(metadata={"description": "false when every entry was skipped (nothing applied)"})
    message = fields.String(metadata={"description": "present when success is false"})
