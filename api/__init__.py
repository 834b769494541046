"""The OCMS application: one package per spec area (cas, plus, advisory, cps) beside shared plumbing.

See README "Where things live" and :mod:`api.areas` (the start-up list of every area).

``create_app`` is imported lazily so that ``ocms serve`` (api.cli) does not
import the engine — and durable_rules — in the gunicorn master.
"""

__all__ = ["create_app"]


def __getattr__(name):
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(name)
