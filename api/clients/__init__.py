"""Clients of the external systems (DESIGN.md §9): one module per system, over ``requests``.

Each is configured by URL (``OCMS_<SYSTEM>_URL``) and applies the timeouts and
retry/backoff its spec gives; the tests talk to loopback stand-ins of the
systems over real HTTP (DESIGN.md §2), never to mocks of ``requests``.
"""
