"""The analyst workbench (issue 15): the page, ruleset descriptions, impact of a change, replay.

* :mod:`.describe` — a ruleset's rules as the analyst wrote them (for the page and ``GET /v1/rulesets/<name>``);
* :mod:`.candidates` — a candidate bundle from an upload or a directory under ``OCMS_RULES_CANDIDATES_DIR``;
* :mod:`.impact` — ``ocms rules diff`` / ``POST /v1/admin/rules/impact``: fixtures and logged decisions decided by both;
* :mod:`.replay` — ``ocms rules replay``: a logged decision re-decided under its own version and today's;
* :mod:`.routes` — the page itself (``/workbench/``), its assets (package data) and the fixture run.
"""
