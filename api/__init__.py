"""The OCMS application: Flask app factory, blueprints per spec area, use cases, the ``ocms`` CLI.

``create_app`` is imported lazily so that ``ocms serve`` (api.cli) does not
import the engine — and durable_rules — in the gunicorn master.
"""

__all__ = ["create_app"]


def __getattr__(name):
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(name)
