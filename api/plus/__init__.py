"""PLUS → OCMS via IZ-APIM (CAS-OCMS-PLUS technical spec v1.1, API 4).

* :mod:`.routes` — ``POST /v1/plus-queryNoticeInfo``.
* :mod:`.schemas` — its request and response schemas.
* :mod:`.notice_info` — the use case: payment due date of up to 10 notices.
"""
