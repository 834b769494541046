"""Advisory Notices (OCMS 10): notice intake from REPCCS and CES, double booking, AN qualification, PS-ANS.

* :mod:`.intake` — the use case behind both webhooks (:func:`receive_notice`)
* :mod:`.payloads` — the webhook payloads (marshmallow)
* :mod:`.notice_numbers` — generated notice numbers (9 digits + check letter)
* :mod:`.double_booking`, :mod:`.qualification` — facts for their rulesets
* :mod:`.mirror` — internet mirror writes, their queue and the ``mirror-retry`` job (:mod:`.jobs`)
"""
from .intake import FOLLOW_UPS, IntakeDeps, IntakeResult, Timings, receive_notice, validate_payload
from .mirror import retry_mirrors, sync_notice
from .notice_numbers import NoticeNumberAllocator, check_letter, format_notice_no

__all__ = ["FOLLOW_UPS", "IntakeDeps", "IntakeResult", "NoticeNumberAllocator", "Timings", "check_letter",
           "format_notice_no", "receive_notice", "retry_mirrors", "sync_notice", "validate_payload"]
