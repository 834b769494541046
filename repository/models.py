"""Every OCMS model in one import: ``from repository.models import ValidOffenceNotice``."""

from .advisory import AnLetterLog, EanNotificationLog, ManualReviewQueue, UnqualifiedAnTransmissionLog, WebhookReceipt
from .base import Base, NAMING_CONVENTION, SYSTEM_USER, now
from .furnish import EFurnishApplication, FurnishApplication
from .notifications import AnNotification
from .notices import (
    ChangeOfProcessing,
    CourtCase,
    EValidOffenceNotice,
    OffenceNoticeDetail,
    OffenceNoticeOwnerDriver,
    ValidOffenceNotice,
)
from .progression import DELIVERED, LetterDelivery, PendingCheck
from .operations import (
    JOB_FAILED,
    JOB_PARTIAL,
    JOB_RUNNING,
    JOB_SKIPPED_RUNNING,
    JOB_STATUSES,
    JOB_SUCCESS,
    BatchJobRun,
    DecisionLog,
    ReportFile,
    RulesState,
)
from .rules import (
    RulesBlob,
    RulesBundle,
    RulesBundleFile,
    RulesShadow,
    RulesShadowCount,
    RulesShadowDiff,
    RulesVersion,
    RulesWorker,
)
from .reference import Carpark, ENotificationExclusion, OffenceRuleCode, Parameter, StageMap, VipVehicle
from .suspensions import ESuspendedNotice, SuspendedNotice

#: The schema of every table above.
metadata = Base.metadata

__all__ = [
    "AnLetterLog", "AnNotification", "Base", "DELIVERED", "LetterDelivery", "PendingCheck", "BatchJobRun", "Carpark", "ChangeOfProcessing", "CourtCase",
    "DecisionLog", "EFurnishApplication", "ENotificationExclusion", "ESuspendedNotice",
    "EValidOffenceNotice", "EanNotificationLog", "FurnishApplication", "JOB_FAILED",
    "JOB_PARTIAL", "JOB_RUNNING", "JOB_SKIPPED_RUNNING", "JOB_STATUSES", "JOB_SUCCESS", "ManualReviewQueue",
    "NAMING_CONVENTION", "OffenceNoticeDetail", "OffenceNoticeOwnerDriver", "OffenceRuleCode",
    "Parameter", "ReportFile", "RulesBlob", "RulesBundle", "RulesBundleFile", "RulesShadow", "RulesShadowCount",
    "RulesShadowDiff", "RulesState", "RulesVersion", "RulesWorker", "StageMap", "SYSTEM_USER", "SuspendedNotice",
    "UnqualifiedAnTransmissionLog", "ValidOffenceNotice", "VipVehicle", "WebhookReceipt", "metadata", "now",
]
