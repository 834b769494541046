"""OCMS 10 §3.4-3.7: the notification of qualified Advisory Notices, and the manual review queue of its failures.

* :mod:`.flow` — the ``an-notifications`` job: owner particulars (LTA, DataHive,
  MHA), eAN (SMS, email), AN letter (SLIFT), PS-ANS after a send, manual review;
  the route is ``rules/an_notification_route.yaml``.
* :mod:`.channels` — one call to each external system as a result code.
* :mod:`.messages` — the SMS, email and letter from ``templates/``.
* :mod:`.letter_files` — the letters' PDFs under ``OCMS_AN_LETTER_DIR`` (paths stored relative to it).
* :mod:`.store` — claims and set-based writes of ``ocms_an_notification``.
* :mod:`.review` and :mod:`.routes` — the Staff Portal's manual review queue.
"""
from .flow import JOB_NAME, RULESET, run_an_notifications
from .letter_files import letter_root, read_letter

__all__ = ["JOB_NAME", "RULESET", "letter_root", "read_letter", "run_an_notifications"]
