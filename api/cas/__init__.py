"""CAS → OCMS (CAS-OCMS-PLUS technical spec v1.1, APIs 1-3).

* :mod:`.routes` — ``POST /v1/ocms/cas-getPaymentStatus`` (API 1), ``POST /v1/ocms/cas-updateCourtNotices`` (API 2).
* :mod:`.schemas` — their request and response schemas.
* :mod:`.payment_status`, :mod:`.court_notices` — the use cases of APIs 1 and 2.
* :mod:`.vip_refresh` — API 3, OCMS → CAS: replace ``ocms_vip_vehicle`` with CAS's list.
* :mod:`.jobs` — ``refresh-vip-vehicles``.
"""
