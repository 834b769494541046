"""OCMS 10 §3.4-3.7: the notification of qualified Advisory Notices, and the manual review queue of its failures.

* :mod:`.flow` — the ``an-notifications`` job: owner particulars (LTA, DataHive,
  MHA), eAN (SMS, email), AN letter (SLIFT), PS-ANS after a send, manual review;
  the route is ``rules/an_notification_route.yaml``.
* :mod:`.channels` — one call to each external system as a result code.
* :mod:`.messages` — the SMS, email and letter from ``templates/``.
* :mod:`.store` — claims and set-based writes of ``ocms_an_notification``.
* :mod:`.review` and :mod:`.routes` — the Staff Portal's manual review queue.
"""
from .flow import JOB_NAME, RULESET, run_an_notifications

__all__ = ["JOB_NAME", "RULESET", "run_an_notifications"]
