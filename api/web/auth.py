"""Who is calling: per-system subscription keys and Staff Portal JWTs (DESIGN.md §8).

* ``Ocp-Apim-Subscription-Key``: one key per calling system (``OCMS_API_KEYS``),
  compared with :func:`hmac.compare_digest`; keys are never logged or echoed.
* ``Authorization: Bearer <jwt>``: HS256 tokens signed with ``OCMS_JWT_SECRET``,
  checked strictly (:func:`jwt_claims`): ``sub`` (the officer) a string of 1 to
  :data:`MAX_SUB_LENGTH` characters, ``roles`` a list of role names (strings),
  ``exp`` required (``nbf``/``iat`` checked when present), ``iss`` and ``aud``
  checked when ``OCMS_JWT_ISSUER`` / ``OCMS_JWT_AUDIENCE`` are set. Any other
  token is refused.

Missing or wrong credentials are OCMS-4001 / 401; a valid Staff Portal JWT
that lacks every role the view needs (no OIC on the review queues, say) is
OCMS-4003 / 403 "Forbidden", naming the roles (the caller is known, only not
allowed). Both are checked before anything of the request is parsed:
:func:`require_auth` marks the view, and :func:`check_credentials` (a
``before_request`` hook installed by :func:`api.web.limits.init_limits`)
authenticates before the view, its body or its query string is touched,
whatever order the view's decorators are in. A key of another system, or a JWT
on a view that takes none, is a wrong credential for that view: 401.
On success ``g.caller`` names the caller (``"cas"``, ``"jwt:officer1"``) for
the decision log.
"""
from __future__ import annotations

import functools
import hmac
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

import jwt
from flask import current_app, g, request

from .errors import forbidden, unauthorized
from .json import text_problem

#: Unicode categories an officer id may not hold: controls, format characters (U+202E bidi override, zero-width
#: joiners), surrogates, private use, unassigned, line/paragraph separators — they would disguise the id in the
#: decision log and reports.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _invisible(text: str) -> bool:
    return any(unicodedata.category(ch) in _INVISIBLE for ch in text)

KEY_HEADER = "Ocp-Apim-Subscription-Key"
ANY = "*"
#: Longest officer id a token may carry (the audit columns, e.g. authorised_officer, are String(50)).
MAX_SUB_LENGTH = 50
#: Most roles, and the longest role name, a token may carry.
MAX_ROLES, MAX_ROLE_LENGTH = 50, 50
#: Attribute :func:`require_auth` sets on a view (kept by functools.wraps on every outer decorator).
MARKER = "ocms_auth"


@dataclass(frozen=True)
class Requirement:
    """Who may call a view: a key of ``systems`` (``"*"``: any) or a JWT with one of ``roles`` (None: no JWT)."""

    systems: tuple[str, ...] = ()
    roles: tuple[str, ...] | None = None


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
    """Return the verified claims of a Staff Portal token, or None if anything about it is wrong.

    Signature (HS256), ``exp`` (required), ``nbf``/``iat``, and ``iss``/``aud``
    if configured, as PyJWT checks them; then the shapes: ``sub`` a string of
    1-50 characters, ``roles`` a list of at most 50 strings (no ``"roles": 5``,
    no ``{"OIC": false}``), none holding a control character or a lone surrogate.
    """
    config = current_app.config
    secret = config.get("OCMS_JWT_SECRET")
    if not token or not secret or len(token) > 8192:
        return None
    issuer, audience = config.get("OCMS_JWT_ISSUER"), config.get("OCMS_JWT_AUDIENCE")
    required = ["sub", "exp", "roles"] + (["iss"] if issuer else []) + (["aud"] if audience else [])
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=issuer, audience=audience,
                            leeway=float(config.get("OCMS_JWT_LEEWAY") or 0),
                            options={"require": required, "verify_aud": bool(audience)})
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    sub, roles = claims.get("sub"), claims.get("roles")
    if type(sub) is not str or not 1 <= len(sub) <= MAX_SUB_LENGTH or not sub.strip() or text_problem(sub) or _invisible(sub):
        return None
    if type(roles) is not list or len(roles) > MAX_ROLES:
        return None
    if any(type(r) is not str or not 1 <= len(r) <= MAX_ROLE_LENGTH or text_problem(r) for r in roles):
        return None
    return claims


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(systems: Iterable[str] = (), roles: Iterable[str] | None = None) -> str:
    """Return the caller if a key of ``systems`` or a JWT with one of ``roles`` is presented.

    Otherwise raise 403 for a valid JWT without any of ``roles`` (the view takes
    JWTs, this officer lacks the role), 401 for anything else (no, a wrong or an
    invalid credential). ``roles=None`` refuses JWTs; ``roles=["*"]`` accepts any valid JWT.
    """
    systems = tuple(systems)
    if systems:
        system = key_system(request.headers.get(KEY_HEADER), systems)
        if system:
            g.caller = system
            return system
    if roles is not None:
        claims = jwt_claims(_bearer())
        if claims is not None:
            if ANY in roles or set(roles) & set(claims["roles"]):
                g.caller = f"jwt:{claims['sub']}"
                g.jwt_claims = claims
                return g.caller
            raise forbidden(roles)
    raise unauthorized()


def requirement_of(view: Callable | None) -> Requirement | None:
    """The credentials a view function asks for (None: an open endpoint such as the health probes)."""
    return getattr(view, MARKER, None)


def check_credentials() -> None:
    """``before_request``: authenticate for the matched view before its body or query is read (401 / 403 otherwise)."""
    if request.routing_exception is not None:  # 404 / 405: nothing to protect
        return
    need = requirement_of(current_app.view_functions.get(request.endpoint))
    if need is not None:
        authenticate(need.systems, need.roles)


def require_auth(systems: Iterable[str] = (), roles: Iterable[str] | None = None) -> Callable:
    """Mark a view: a key of one of ``systems`` or a JWT with one of ``roles`` (``"*"``: any).

    :func:`check_credentials` enforces it before the request is parsed; the
    wrapper checks again only when the view runs without that hook.
    """
    need = Requirement(tuple(systems), tuple(roles) if roles is not None else None)

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if getattr(g, "caller", None) is None:
                authenticate(need.systems, need.roles)
            return view(*args, **kwargs)
        setattr(wrapper, MARKER, need)
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
