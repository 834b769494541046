"""The workbench page: ``GET /workbench/`` and its assets, shipped with the package (no CDN).

The page holds no data: it asks the JSON endpoints (``/v1/rulesets``,
``/v1/decisions/<ruleset>``, ``/v1/rulesets/<name>/fixtures``,
``/v1/rulesets/<name>/versions``, ``/v1/admin/rules/impact``) with the
credential the analyst pastes into it (a Staff Portal JWT or the admin key,
kept in the tab's sessionStorage and sent as a header). It only reads: it
never reloads, publishes or starts a shadow run. A strict Content-Security-Policy
(everything from this origin only) keeps any third-party script out.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_from_directory

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

bp = Blueprint("workbench", __name__, url_prefix="/workbench")


def _secure(resp):
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.route("")
def workbench_redirect():
    return redirect("/workbench/", code=308)


@bp.route("/")
def page():
    """The workbench page (HTML)."""
    return _secure(send_from_directory(STATIC, "workbench.html", mimetype="text/html"))


@bp.route("/static/<path:name>")
def asset(name: str):
    """The page's script and style sheet."""
    return _secure(send_from_directory(STATIC, name))
