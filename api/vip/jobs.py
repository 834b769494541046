"""Batch jobs of the VIP area (OCMS 14), each ``ocms jobs run <name> [--key YYYY-MM-DD]`` (default: today's business date).

| job | when | what |
| --- | --- | --- |
| ``vip-ts-clv-reapply`` | daily 00:00 | TS-CLV due at CPC: revival record + new TS-CLV while VIP; V→S leaves the loop |
| ``ts-old-revival`` | daily 00:05 | every TS-OLD whose revival date has come is revived; next stage per the stage map |
| ``vip-an-letters`` | daily 01:30 | VIP AN letters (PDF) to the print vendor's SFTP directory, then RD1 and PS-ANS |
| ``vip-ts-clv`` | daily 23:30 (EOD) | VIP notices at RR3/DR3 with CPC due: CPC + TS-CLV |

Each run is recorded in ``ocms_batch_job_run``; the key is the business date the job works for (a day
after today is refused). Idempotent: what a run did is no longer a candidate, so a re-run (after a crash,
or with ``--force``) does only what is left.
"""
from __future__ import annotations

import contextlib

from api.jobs import register_job
from api.stages.moves import business_day, job_day

from .revival import revive_due_ts_old
from .ts_clv import reapply_ts_clv, suspend_ts_clv


@contextlib.contextmanager
def job_rules():
    """The rules of ``OCMS_RULES_DIR`` for one job run (loaded once, freed after)."""
    from api.config import load_config
    from api.decisions.vocabulary import VOCABULARY
    from engine import RuleRegistry

    registry = RuleRegistry(load_config()["OCMS_RULES_DIR"], actions=VOCABULARY)
    try:
        yield registry
    finally:
        registry.close()


@register_job("vip-ts-clv", "EOD: VIP notices at RR3/DR3 with CPC due move to CPC with TS-CLV (OCMS 14 tab 5)",
              default_key=business_day)
def vip_ts_clv_job(uow, run_key: str) -> dict:
    """VIP notices at RR3/DR3 whose CPC is due: CPC, next stage CSD, TS-CLV (REVIVAL_DAYS/CLV)."""
    day = job_day(run_key)
    with job_rules() as registry:
        return suspend_ts_clv(uow, registry, day, request_id=f"vip-ts-clv:{run_key}")


@register_job("vip-ts-clv-reapply", "00:00: due TS-CLV revived and re-applied while VIP; V to S leaves the loop",
              default_key=business_day)
def vip_ts_clv_reapply_job(uow, run_key: str) -> dict:
    """Due TS-CLV at CPC: revival record and a new TS-CLV while the vehicle is VIP (OCMS 14 tab 5)."""
    day = job_day(run_key)
    with job_rules() as registry:
        return reapply_ts_clv(uow, registry, day, request_id=f"vip-ts-clv-reapply:{run_key}")


@register_job("ts-old-revival", "Revive every TS-OLD whose revival date has come (OCMS 14 tab 2 step 8)",
              default_key=business_day)
def ts_old_revival_job(uow, run_key: str) -> dict:
    """TS-OLD suspensions due by the key's date are revived; next stage and date from the stage map."""
    day = job_day(run_key)
    with job_rules() as registry:
        return revive_due_ts_old(uow, registry, day)




@register_job("vip-an-letters", "VIP AN letters to the print vendor's SFTP directory, then RD1 and PS-ANS (OCMS 14 tab 3)",
              default_key=business_day)
def vip_an_letters_job(uow, run_key: str) -> dict:
    """Tab 3 steps 8-14 for the key's business date: one PDF per VIP AN, delivered once, then RD1 + PS-ANS."""
    from api.clients.sftp import SftpClient
    from api.config import load_config
    from api.stages.checks import Clients

    from .an_letters import send_vip_an_letters

    day = job_day(run_key)
    config = load_config()
    with job_rules() as registry:
        clients = Clients.from_config(config, registry.get("stage_progression").parameters)
        sftp = SftpClient.from_config(config)
        try:
            return send_vip_an_letters(uow, registry, day, sftp, clients, templates_dir=config["OCMS_TEMPLATES_DIR"],
                                       request_id=f"{run_key}:vip-an-letters")
        finally:
            sftp.close()
            clients.close()


__all__ = ["job_rules", "ts_old_revival_job", "vip_an_letters_job", "vip_ts_clv_job", "vip_ts_clv_reapply_job"]
