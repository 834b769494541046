"""``ocms jobs run classified-vehicle-report [--key yyyy-MM-dd]`` (OCMS 14 tab 6): daily, key the business date."""
from __future__ import annotations

from typing import Any

from api.config import load_config
from api.jobs import register_job
from repository import business_time

from .job import JOB_NAME, run_classified_report


def today_key() -> str:
    """The default run key: today's business date (``OCMS_TIMEZONE``), as ``YYYY-MM-DD``."""
    return business_time.today().isoformat()


@register_job(JOB_NAME, "Build the Classified Vehicle Notices Report (Excel) and email it to the OICs "
                        "(OCMS 14 tab 6); daily", default_key=today_key)
def classified_vehicle_report_job(uow, run_key: str) -> dict[str, Any]:
    """Build, store and email the day's report with the settings of the environment."""
    return run_classified_report(uow, run_key, load_config())


__all__ = ["classified_vehicle_report_job", "today_key"]
