"""One flask-smorest blueprint per area of the API.

Areas still to come (DESIGN.md §1, the specs): ``cas`` (CAS APIs 1-4),
``plus`` (PLUS API 4 via IZ-APIM), ``cps`` (Change Processing Stage, Staff
Portal JWT), ``advisory`` (REPCCS/CES intake, AN), ``vip`` (VIP notices). Each
becomes a module here exposing ``blp`` and one line in :data:`BLUEPRINTS`.
"""
from __future__ import annotations

from . import an_reports  # noqa: I001
from . import admin, cas, decisions, health, plus, rulesets

#: Registered in this order; add cas, plus, cps, advisory, vip here.
BLUEPRINTS = (health.blp, rulesets.blp, decisions.blp, admin.blp, cas.blp, plus.blp)

from . import advisory  # noqa: E402,I001
BLUEPRINTS += (advisory.blp,)  # OCMS 10 §3.2-3.3 REPCCS/CES intake

BLUEPRINTS += (an_reports.blp,)  # OCMS 10 §3.8

from . import cps, plus_cps, toppan  # noqa: E402,I001
BLUEPRINTS += (cps.blp, plus_cps.blp, toppan.blp)  # OCMS 15 Change Processing Stage

__all__ = ["BLUEPRINTS"]
