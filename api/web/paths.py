"""Keep the server's filesystem out of API answers (issue 11: GET /v1/rulesets showed the rules directory).

Rule files are named to callers by their name inside the rules directory
(``an_qualification.yaml:12:5``), never by where the server keeps them;
other paths of the service (the report store, the instance folder, the
checkout) are cut to what is below them. :func:`for_callers` rewrites a
JSON-able value; the rules endpoints and the rules error envelopes (422
reload refused, 503 rules not loaded) pass their answers through it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from flask import current_app, has_app_context

from api.config import PROJECT_ROOT


def _roots() -> list[str]:
    """The directories whose absolute paths must not reach a caller, longest first."""
    roots: list[str] = []
    if has_app_context():
        cfg = current_app.config
        roots += [cfg.get("OCMS_RULES_DIR"), cfg.get("OCMS_FIXTURES_DIR"), cfg.get("OCMS_REPORT_DIR"),
                  current_app.instance_path]
    roots.append(str(PROJECT_ROOT))
    out = []
    for r in roots:
        if r:
            for form in {str(r), os.path.realpath(str(r))}:
                out.append(form.rstrip(os.sep))
    return sorted(set(out), key=len, reverse=True)


def public_path(path: str, roots: Iterable[str] | None = None) -> str:
    """``path`` relative to the first root it lies under (``/srv/rules/a.yaml`` → ``a.yaml``); else its name."""
    roots = list(roots) if roots is not None else _roots()
    text = os.path.abspath(str(path))  # the engine names files relative to the working directory when it can
    for root in roots:
        if text == root:
            return Path(root).name
        if text.startswith(root + os.sep):
            return text[len(root) + 1:]
    return Path(text).name


def scrub(text: str, roots: Iterable[str] | None = None) -> str:
    """``text`` with every known root directory cut out of the paths it mentions."""
    roots = list(roots) if roots is not None else _roots()
    for root in roots:
        text = text.replace(root + os.sep, "").replace(root, Path(root).name)
    return text


def for_callers(value: Any, roots: Iterable[str] | None = None) -> Any:
    """A JSON-able value with no server path left: ``file``/``directory`` keys and every string scrubbed."""
    roots = list(roots) if roots is not None else _roots()
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "directory":
                continue  # where the rules live is the server's business
            out[k] = public_path(v, roots) if k == "file" and isinstance(v, str) else for_callers(v, roots)
        return out
    if isinstance(value, (list, tuple)):
        return [for_callers(v, roots) for v in value]
    if isinstance(value, str):
        return scrub(value, roots) if os.sep in value else value
    return value


__all__ = ["for_callers", "public_path", "scrub"]
