"""Batch jobs of the Advisory Notices area: ``mirror-retry`` (§3.2-3.3), ``unqualified-an-list`` (§3.9)
and ``ans-report-daily`` (§3.8, :mod:`.ans_report.daily`).

``mirror-retry`` is idempotent: it only touches open MIRROR_SYNC rows, and
copying a notice to the mirror twice changes nothing. Run it often (e.g.
every few minutes with ``--key $(date +%Y%m%dT%H%M)`` or ``--force``: a run
key that already succeeded is otherwise skipped for the day).
"""
from __future__ import annotations

from typing import Any

from api.config import load_config
from api.jobs import PER_KEY, register_job
from repository import business_time

from .ans_report.daily import JOB_NAME as ANS_DAILY
from .ans_report.daily import send_daily_ans_report
from .mirror import retry_mirrors
from .unqualified_list import JOB_NAME, parse_business_date, previous_day, send_unqualified_an_list


@register_job("mirror-retry", "Re-write internet mirrors (eocms_*) whose write failed at intake")
def mirror_retry(uow, run_key: str) -> dict:
    """Re-write internet mirrors whose write failed at intake; counts open/resolved/failed."""
    return retry_mirrors(uow.session)


@register_job(JOB_NAME, default_key=previous_day, lock=PER_KEY)  # the key day's list only
def unqualified_an_list_job(uow, run_key: str) -> dict[str, Any]:
    """Send the day's unqualified ANs to REPCCS and CES (key: business date, default yesterday)."""
    return send_unqualified_an_list(uow, parse_business_date(run_key), load_config())


def previous_business_day() -> str:
    """Yesterday in the business time zone (``OCMS_TIMEZONE``), as ``YYYY-MM-DD`` (repository/business_time.py)."""
    return business_time.yesterday().isoformat()


@register_job(ANS_DAILY, default_key=previous_business_day, lock=PER_KEY)  # the key day's report only
def ans_report_daily_job(uow, run_key: str) -> dict[str, Any]:
    """Store the day's ANS report (Excel, PDF) and email it to OCMS_ANS_REPORT_TO (key: business date, default yesterday)."""
    return send_daily_ans_report(uow, parse_business_date(run_key), load_config())


__all__ = ["ans_report_daily_job", "mirror_retry", "previous_business_day", "unqualified_an_list_job"]
