"""Payloads of the CPS endpoints (OCMS 15 §5.3, §5.4, §6.4, §7.4, §8.3); bad input is OCMS-4000 naming the field."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from api.web.fields import StrictDate, WindowDateTime, max_length
from repository.models import ChangeOfProcessing, OffenceNoticeOwnerDriver, ValidOffenceNotice

#: Most notices per Staff Portal validate/submit or PLUS request (one screen's selection); OCMS-4013 above.
MAX_NOTICES = 500
#: Most notices per Toppan batch.
MAX_TOPPAN_NOTICES = 50_000

STAGE = validate.Regexp(r"^[A-Z0-9]{3}$", error="must be a 3-character stage code, e.g. RD2")
NOTICE_NO = fields.String(validate=validate.Length(min=1, max=max_length(ValidOffenceNotice.notice_no)))
SEARCH_CRITERIA = ("noticeNo", "idNo", "vehicleNo", "currentProcessingStage", "dateOfCurrentProcessingStage")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _naive(value):
    """Aware datetimes (with an offset) become local naive ones, as every column is (repository/base.py)."""
    return value.astimezone().replace(tzinfo=None) if value is not None and value.tzinfo else value


class SearchSchema(Schema):
    """§5.3: at least one criterion."""

    noticeNo = fields.String(validate=validate.Length(min=1, max=max_length(ValidOffenceNotice.notice_no)))
    idNo = fields.String(validate=validate.Length(min=1, max=max_length(OffenceNoticeOwnerDriver.id_no)))
    vehicleNo = fields.String(validate=validate.Length(min=1, max=max_length(ValidOffenceNotice.vehicle_no)))
    currentProcessingStage = fields.String(validate=STAGE)
    dateOfCurrentProcessingStage = StrictDate(format="%Y-%m-%d")

    @validates_schema
    def at_least_one(self, data, **kwargs):
        if not any(data.get(k) not in (None, "") for k in SEARCH_CRITERIA):
            # VAL010 (§3.3 D1): name every criterion the caller may give.
            raise ValidationError({k: ["VAL010: at least one search criterion is required"] for k in SEARCH_CRITERIA})


class ChangeSchema(Schema):
    """§5.4: the notices selected, the new stage, the reason, remarks (mandatory for OTH: a rule decides)."""

    noticeNumbers = fields.List(NOTICE_NO, required=True, validate=validate.Length(min=1))
    newProcessingStage = fields.String(required=True, validate=STAGE)
    reasonOfChange = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9]{1,3}$",
                                                                           error="must be a reason code of 1-3 characters"))
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

    noticeNo = fields.List(NOTICE_NO, required=True, validate=validate.Length(min=1))
    lastStageName = fields.String(required=True, validate=STAGE)
    nextStageName = fields.String(required=True, validate=STAGE)
    lastStageDate = WindowDateTime(load_default=None, allow_none=True)
    newStageDate = WindowDateTime(load_default=None, allow_none=True)
    offenceType = fields.String(required=True, validate=validate.OneOf(["O", "E", "U", "D", "H", "DIR"]))
    source = fields.String(required=True, validate=validate.Length(min=1, max=3))
    reasonOfChange = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=3))
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
    """One Toppan batch (module api.cps.toppan)."""

    batchId = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    currentStage = fields.String(required=True, validate=STAGE)
    newStage = fields.String(required=True, validate=STAGE)
    noticeNumbers = fields.List(NOTICE_NO, required=True, validate=validate.Length(min=1, max=MAX_TOPPAN_NOTICES))

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
    success = fields.Boolean()
