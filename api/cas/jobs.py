"""Batch jobs of the CAS area: ``ocms jobs run refresh-vip-vehicles`` (CAS API 3, daily)."""
from __future__ import annotations

from typing import Any

from api.config import load_config
from api.jobs import register_job

from .vip_refresh import JOB_NAME, refresh_vip_vehicles


@register_job(JOB_NAME, description="Refresh ocms_vip_vehicle from CAS (CAS API 3); daily")
def refresh_vip_vehicles_job(uow, run_key: str) -> dict[str, Any]:
    """Refresh ocms_vip_vehicle from CAS (CAS API 3), with the settings of the environment."""
    return refresh_vip_vehicles(uow, run_key, load_config())


__all__ = ["refresh_vip_vehicles_job"]
