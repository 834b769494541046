"""The daily ``stage-progression`` job (OCMS 14 tab 2 steps 8-19): ``ocms jobs run stage-progression [--key YYYY-MM-DD]``.

Key: the business date (default today; a future day is refused). Run it daily after ``ts-old-revival``
(e.g. 00:30). Idempotent: a moved notice is no longer due, so a re-run (after a crash, or ``--force``)
moves only what is left and never sends a letter twice.
"""
from __future__ import annotations

from api.jobs import register_job

from .moves import business_day, job_day
from .progression import JOB_NAME, progress_stages


@register_job(JOB_NAME, "Move every notice whose next processing date has come to its next stage (OCMS 14 tab 2)",
              default_key=business_day)
def stage_progression_job(uow, run_key: str) -> dict:
    """Due notices to their next stage, with the LTA/MHA/DataHive checks and reminder letters each stage needs."""
    from api.clients.sftp import SftpClient
    from api.config import load_config
    from api.decisions.vocabulary import VOCABULARY
    from engine import RuleRegistry

    from .checks import Clients

    day = job_day(run_key)
    config = load_config()
    registry = RuleRegistry(config["OCMS_RULES_DIR"], actions=VOCABULARY)
    clients = Clients.from_config(config, registry.get("stage_progression").parameters)
    sftp = SftpClient.from_config(config) if config.get("OCMS_SFTP_HOST") else None
    try:
        return progress_stages(uow, registry, day, clients, sftp, templates_dir=config["OCMS_TEMPLATES_DIR"],
                               request_id=f"{run_key}:{JOB_NAME}")
    finally:
        if sftp is not None:
            sftp.close()
        clients.close()
        registry.close()


__all__ = ["stage_progression_job"]
