"""Who is calling: per-system subscription keys and Staff Portal JWTs (DESIGN.md §8).

* ``Ocp-Apim-Subscription-Key``: one key per calling system (``OCMS_API_KEYS``),
  compared with :func:`hmac.compare_digest`; keys are never logged or echoed.
* ``Authorization: Bearer <jwt>``: HS256 tokens signed with ``OCMS_JWT_SECRET``,
  claims ``sub`` (the officer) and ``roles`` (list of role names).

Missing or wrong credentials are OCMS-4001 / 401. On success ``g.caller`` names
the caller (``"cas"``, ``"jwt:officer1"``) for the decision log.
"""
from __future__ import annotations

import functools
import hmac
from typing import Callable, Iterable

import jwt
from flask import current_app, g, request

from .errors import unauthorized

KEY_HEADER = "Ocp-Apim-Subscription-Key"
ANY = "*"


def key_system(key: str | None, systems: Iterable[str]) -> str | None:
    """Return the system among ``systems`` (or any, with ``"*"``) whose configured key is ``key``."""
    if not key:
        return None
    configured: dict[str, str] = current_app.config.get("OCMS_API_KEYS") or {}
    wanted = configured if ANY in systems else {s: configured[s] for s in systems if s in configured}
    found = None
    given = key.encode()
    for system, expected in wanted.items():
        # Compare against every candidate (no early exit) so timing says nothing.
        if hmac.compare_digest(given, expected.encode()) and found is None:
            found = system
    return found


def jwt_claims(token: str | None) -> dict | None:
    """Return the verified claims of a Staff Portal token, or None."""
    secret = current_app.config.get("OCMS_JWT_SECRET")
    if not token or not secret:
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub"]})
    except jwt.PyJWTError:
        return None
    roles = claims.get("roles") or []
    claims["roles"] = [roles] if isinstance(roles, str) else list(roles)
    return claims


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(systems: Iterable[str] = (), roles: Iterable[str] | None = None) -> str:
    """Return the caller if a key of ``systems`` or a JWT with one of ``roles`` is presented; else raise 401.

    ``roles=None`` refuses JWTs; ``roles=["*"]`` accepts any valid JWT.
    """
    systems = tuple(systems)
    if systems:
        system = key_system(request.headers.get(KEY_HEADER), systems)
        if system:
            g.caller = system
            return system
    if roles is not None:
        claims = jwt_claims(_bearer())
        if claims is not None and (ANY in roles or set(roles) & set(claims["roles"])):
            g.caller = f"jwt:{claims['sub']}"
            g.jwt_claims = claims
            return g.caller
    raise unauthorized()


def require_auth(systems: Iterable[str] = (), roles: Iterable[str] | None = None) -> Callable:
    """Decorate a view: a key of one of ``systems`` or a JWT with one of ``roles`` (``"*"``: any)."""
    systems, roles = tuple(systems), (tuple(roles) if roles is not None else None)

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            authenticate(systems, roles)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def require_key(*systems: str) -> Callable:
    """Decorate a view reserved to calling systems, e.g. ``@require_key("cas")``; ``"admin"`` for admin endpoints."""
    return require_auth(systems=systems)


def require_jwt(roles: Iterable[str] = (ANY,)) -> Callable:
    """Decorate a Staff Portal view: a valid JWT carrying one of ``roles`` (default: any role)."""
    return require_auth(roles=roles)


def require_any_credential() -> Callable:
    """Decorate a view open to every authenticated caller: any system key or any valid JWT."""
    return require_auth(systems=(ANY,), roles=(ANY,))
