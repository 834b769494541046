"""Clients of the external systems (DESIGN.md §9): one module per system, over ``requests``.

Each is configured by URL (``OCMS_<SYSTEM>_URL``) and applies the timeouts and
retry/backoff its spec gives; the tests talk to the simulators in
:mod:`api.simulators` over loopback, never to mocks of ``requests``.
"""
