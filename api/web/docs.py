"""Swagger UI for ``/docs`` from the files installed with the package, so it works on an isolated network.

flask-smorest renders ``/docs`` with ``OPENAPI_SWAGGER_UI_URL`` as the prefix of
``swagger-ui.css``, ``swagger-ui-bundle.js`` and ``swagger-ui-standalone-preset.js``.
Those files come from the ``swagger-ui-bundle`` package (swagger-ui-dist,
installed as a dependency) and are served here under ``/docs/assets/``: the page
loads nothing from outside the service.
"""
from __future__ import annotations

from flask import Flask, abort, send_from_directory

SWAGGER_UI_ASSETS_URL = "/docs/assets/"
#: The files the page may load (nothing else of the package is served).
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                    "favicon-16x16.png", "favicon-32x32.png", "oauth2-redirect.html"})


def assets_dir() -> str:
    """The directory of the installed swagger-ui-dist files."""
    import swagger_ui_bundle
    return swagger_ui_bundle.swagger_ui_path


def _asset(filename: str):
    if filename not in ASSETS:
        abort(404)
    return send_from_directory(assets_dir(), filename, max_age=86400)


def init_docs_assets(app: Flask) -> None:
    """Serve the Swagger UI files at ``/docs/assets/<file>``."""
    app.add_url_rule(SWAGGER_UI_ASSETS_URL + "<path:filename>", "docs_assets", _asset, methods=["GET"])


__all__ = ["ASSETS", "SWAGGER_UI_ASSETS_URL", "assets_dir", "init_docs_assets"]
