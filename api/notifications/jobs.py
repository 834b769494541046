"""Batch job of the notifications area: ``ocms jobs run an-notifications`` (OCMS 10 §3.4-3.7).

On the timetable every minute (``timetable.yaml``); the default run key is the
business date and time to the minute, so each run is a new key. Runners with
different keys (several machines, or ``--key``) share the pending notices
(:mod:`api.notifications.flow`); a re-run after a crash resumes every notice at
its last recorded step.
"""
from __future__ import annotations

from typing import Any

from api.config import load_config
from api.jobs import PER_KEY, register_job
from repository import business_time

from .flow import JOB_NAME, run_an_notifications


def minute_key() -> str:
    """Business date and time to the minute, e.g. ``2026-01-15T1015`` (the timetable's ``{fire:%Y-%m-%dT%H%M}``)."""
    return business_time.now().strftime("%Y-%m-%dT%H%M")


@register_job(JOB_NAME, "Notify the owners of qualified ANs (LTA, DataHive, MHA; SMS, email or SLIFT letter), then "
                        "PS-ANS (OCMS 10 §3.4-3.7)", default_key=minute_key,
              lock=PER_KEY)  # each notice is claimed row by row (FOR UPDATE SKIP LOCKED): runners share the work
def an_notifications_job(uow, run_key: str) -> dict[str, Any]:
    """Work through the pending qualified ANs with the environment's systems and the published rules."""
    from api.decisions.service import published_registry

    config = load_config()
    registry = published_registry(uow.session, config["OCMS_RULES_DIR"])
    try:
        return run_an_notifications(uow, registry, config, run_key)
    finally:
        registry.close()


__all__ = ["an_notifications_job", "minute_key"]
