"""The start-up list: every spec area's blueprints and job modules, in one place.

Nothing else imports the areas wholesale: :func:`api.app.create_app` registers
:func:`blueprints` and calls :func:`load_jobs`; the ``ocms`` command calls
:func:`load_jobs` before running or listing jobs. A new area adds its lines here.

| area | spec | blueprints | jobs |
| --- | --- | --- | --- |
| ``service`` | DESIGN.md §5, §8 | health, rulesets, decisions (dry run, decision log), admin | decision-log-maintenance |
| ``cas`` | CAS/PLUS technical spec APIs 1-3 | ``cas`` | refresh-vip-vehicles |
| ``plus`` | CAS/PLUS technical spec API 4 | ``plus`` | — |
| ``advisory`` | OCMS 10 | REPCCS/CES intake, ANS report | mirror-retry, unqualified-an-list, ans-report-daily |
| ``notifications`` | OCMS 10 §3.4-3.7 | Staff Portal manual review queue of AN notifications | an-notifications |
| ``cps`` | OCMS 15 | Staff Portal, PLUS, Toppan | toppan-cps, cps-stage-map-sync |
| ``furnish`` | OCMS 14 tab 4 | eService submission, Staff Portal OIC review | furnish-sync |
| ``vip`` | OCMS 14 | Staff Portal revival; classified vehicle reports (list, download) | vip-ts-clv, vip-ts-clv-reapply, ts-old-revival, vip-an-letters, classified-vehicle-report |
| ``stages`` | OCMS 14 tab 2 | — | stage-progression |
| ``workbench`` | issue 15 | the analyst workbench page (:func:`pages`: HTML, not in the OpenAPI document) | — |
"""
from __future__ import annotations


def blueprints() -> tuple:
    """Every flask-smorest blueprint, in registration order (the OpenAPI document follows it)."""
    from api.advisory import routes as advisory
    from api.advisory.ans_report import routes as ans_report
    from api.cas import routes as cas
    from api.cps import plus_routes as cps_plus
    from api.cps import routes as cps
    from api.cps import toppan_routes as cps_toppan
    from api.furnish import routes as furnish
    from api.notifications import routes as notifications
    from api.plus import routes as plus
    from api.service import admin, decisions, health, rulesets
    from api.vip.classified_report import routes as vip_reports
    from api.vip import routes as vip
    return (
        health.blp, rulesets.blp, decisions.blp, admin.blp,   # service
        cas.blp,                                              # CAS APIs 1-2
        plus.blp,                                             # PLUS API 4
        advisory.blp, ans_report.blp,                         # OCMS 10
        notifications.blp,                                    # OCMS 10 §3.4-3.7: AN notification review queue
        cps.blp, cps_plus.blp, cps_toppan.blp,                # OCMS 15
        furnish.blp, furnish.review_blp,                      # OCMS 14 tab 4
        vip_reports.blp,                                      # OCMS 14 tab 6
        vip.blp,                                              # OCMS 14
    )


def pages() -> tuple:
    """Plain Flask blueprints serving pages (HTML, kept out of the OpenAPI document)."""
    from api.workbench import routes as workbench
    return (workbench.bp,)                                    # the analyst workbench (/workbench/)


def load_jobs() -> None:
    """Import every area's ``jobs.py``: each registers its jobs with :func:`api.jobs.register_job`."""
    from api.advisory import jobs as _advisory  # noqa: F401  mirror-retry, unqualified-an-list (OCMS 10)
    from api.notifications import jobs as _notifications  # noqa: F401  an-notifications (OCMS 10 §3.4-3.7)
    from api.cas import jobs as _cas  # noqa: F401  refresh-vip-vehicles (CAS API 3)
    from api.cps import jobs as _cps  # noqa: F401  toppan-cps, cps-stage-map-sync (OCMS 15)
    from api.furnish import jobs as _furnish  # noqa: F401  furnish-sync (OCMS 14 tab 4)
    from api.vip.classified_report import jobs as _vip_report  # noqa: F401  classified-vehicle-report (OCMS 14 tab 6)
    from api.decisions import jobs as _decisions  # noqa: F401  decision-log-maintenance (issue 16)
    from api.stages import jobs as _stages  # noqa: F401  stage-progression (OCMS 14 tab 2)
    from api.vip import jobs as _vip  # noqa: F401  vip-ts-clv, vip-ts-clv-reapply, ts-old-revival, vip-an-letters (OCMS 14)


__all__ = ["blueprints", "load_jobs", "pages"]
