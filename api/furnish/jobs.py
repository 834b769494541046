"""Batch jobs of the furnish area: ``ocms jobs run furnish-sync`` (OCMS 14 tab 4 steps 4-10).

Run it often (every 15 minutes, say): each run copies the new internet
applications and checks those waiting. The default run key is the business
date and time to the minute, so every run is a new key; re-running a key
(``--force``) or two runs at once decide nothing twice (see
:mod:`api.furnish.processing`).
"""
from __future__ import annotations

from typing import Any

from api.config import load_config
from api.jobs import register_job
from repository import business_time

from .processing import JOB_NAME, run_furnish_sync


def minute_key() -> str:
    """The default run key: business date and time to the minute (``OCMS_TIMEZONE``), e.g. ``2026-01-15T1015``,
    as the timetable's ``{fire:%Y-%m-%dT%H%M}``."""
    return business_time.now().strftime("%Y-%m-%dT%H%M")


@register_job(JOB_NAME, "Copy new furnish applications to the intranet, check them with MHA, auto-approve or "
                        "queue them for an OIC (OCMS 14 tab 4)", default_key=minute_key)
def furnish_sync_job(uow, run_key: str) -> dict[str, Any]:
    """Copy, check and decide furnish applications with the settings and rules of the environment."""
    from api.decisions.vocabulary import VOCABULARY
    from engine import RuleRegistry

    config = load_config()
    registry = RuleRegistry(config["OCMS_RULES_DIR"], actions=VOCABULARY)
    try:
        return run_furnish_sync(uow, registry, config, run_key)
    finally:
        registry.close()


__all__ = ["furnish_sync_job", "minute_key"]
