"""Furnish driver/hirer (OCMS 14 §7.2.5, flowchart tab 4).

* :mod:`.routes` — the eService submission (internet zone, key ``eservice``) and the
  Staff Portal's OIC review queue (JWT role OIC): list, approve, reject.
* :mod:`.schemas` — their payloads; :mod:`.id_numbers` — NRIC/FIN check letters.
* :mod:`.submission` — the eService use case (``eocms_furnish_application``, furnish pending).
* :mod:`.processing` — the ``furnish-sync`` job: :mod:`.sync` (internet → intranet, once each),
  :mod:`.checks` (MHA, rulesets ``furnish_eligibility`` and ``furnish_approval``).
* :mod:`.outcomes` — approve / reject / queue, set-based, shared by the job and the OIC.
* :mod:`.review` — the OIC's use cases.
* :mod:`.jobs` — registers ``furnish-sync``.
"""
