"""VIP vehicle notices (OCMS 14): TS-OLD at creation and revival, the TS-CLV loop, VIP AN letters.

* :mod:`.routes` — Staff Portal: ``POST /v1/vip/revival``, ``GET /v1/vip/notices/<noticeNo>/suspensions``.
* :mod:`.revival` — OIC revival and the daily ``ts-old-revival`` job.
* :mod:`.ts_clv` — the ``vip-ts-clv`` (EOD) and ``vip-ts-clv-reapply`` (00:00) jobs.
* :mod:`.an_letters` — the daily ``vip-an-letters`` job (tab 3).
* :mod:`.jobs` — their registration.
* :mod:`.classified_report` — the daily Classified Vehicle Notices Report (tab 6): job, queries,
  workbook, list and download endpoints (its own modules, its own job registration).

The route at creation is ruleset vip_notice, asked by the intake (:mod:`api.advisory.intake`); stage
progression of every notice, VIP or not, is :mod:`api.stages`.
"""
