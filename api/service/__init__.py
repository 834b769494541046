"""The service's own endpoints, beside the spec areas (DESIGN.md §5, §8).

* :mod:`.health` — ``/health/live``, ``/health/ready``.
* :mod:`.rulesets` — ``GET /v1/rulesets``, ``GET /v1/rulesets/<name>``.
* :mod:`.decisions` — the dry run ``POST /v1/decisions/<ruleset>`` and ``GET /v1/decision-log``.
* :mod:`.admin` — ``POST /v1/admin/rules/reload``.
"""
