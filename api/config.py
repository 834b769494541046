"""Configuration from the environment (DESIGN.md §10: Key Vault becomes environment).

Every setting is an ``OCMS_*`` environment variable; ``create_app(test_config)``
may override any of them by Flask config key (same name).

| variable | default |
| --- | --- |
| OCMS_DATABASE_URL | ``sqlite:///<instance path>/ocms.db`` |
| OCMS_RULES_DIR | ``<repo>/rules`` |
| OCMS_FIXTURES_DIR | ``<repo>/fixtures`` |
| OCMS_API_KEYS | empty: comma-separated ``system:key`` pairs (systems in :data:`SYSTEMS`) |
| OCMS_JWT_SECRET | empty: Staff Portal JWTs (HS256, claims ``sub`` and ``roles``) are refused |
| OCMS_REPORT_DIR | ``<instance path>/reports`` |
| OCMS_LOG_LEVEL | ``INFO`` |
| OCMS_RULES_CHECK_INTERVAL | ``1`` (seconds between a worker's looks at ``ocms_rules_state``, and its heartbeat) |
| OCMS_RULES_RELOAD_WAIT | ``10`` (seconds a reload or shadow switch waits for every live worker before answering 202) |
| OCMS_RULES_HEARTBEAT_TIMEOUT | ``5`` (seconds after which a worker without a heartbeat counts as gone) |
| OCMS_RULES_CANDIDATES_DIR | empty: the only folder under which ``POST /v1/admin/rules/impact`` and shadow runs may read a candidate directory |
| OCMS_IMPACT_MAX_DECISIONS | ``200000`` (logged decisions one ``POST /v1/admin/rules/impact`` evaluates at most; the CLI has no limit) |
| OCMS_REPCCS_URL, OCMS_CES_URL | empty: base URLs of the unqualified-AN list receivers (``POST <url>/unqualified-an-list``) |
| OCMS_REPCCS_API_KEY, OCMS_CES_API_KEY | empty: their ``API-Key`` header |
| OCMS_UNQUALIFIED_AN_TIMEOUT | ``60`` (seconds per call, OCMS 10 §3.9) |
| OCMS_UNQUALIFIED_AN_BACKOFF | ``2`` (seconds before the first retry; doubled before each next one) |
| OCMS_CAS_URL | empty: base URL of CAS behind APIM (``POST <url>/v1/cas/refreshVIPVehicle``) |
| OCMS_CAS_APIM_KEY | empty: the ``Ocp-Apim-Subscription-Key`` OCMS sends to CAS |
| OCMS_HTTP_TIMEOUT | ``10,60`` (connect,read seconds of a call to CAS; one number sets both) |
| OCMS_HTTP_RETRIES | ``3`` (retries after the first attempt, every external call) |
| OCMS_HTTP_BACKOFF | ``2`` (seconds before the first retry; doubled before each next one) |
| OCMS_SMTP_HOST, OCMS_SMTP_PORT | ``127.0.0.1``, ``8025``: where alert emails go (plain SMTP) |
| OCMS_ALERT_FROM | ``ocms@localhost`` |
| OCMS_ALERT_TO | empty: operations address(es), comma-separated; unset = alerts only logged |
| OCMS_ANS_REPORT_TO | empty: recipients (comma-separated) of the daily ANS report email |
| OCMS_LOG_FORMAT | ``json`` (one JSON object per line) or ``text`` |
| OCMS_METRICS_TOKEN | empty: bearer token that may scrape ``/metrics`` (the admin key may too) |
| OCMS_METRICS_BIND | empty: ``host:port`` where ``ocms serve`` also listens, serving ``/metrics`` without credentials |
| OCMS_TIMETABLE | ``<repo>/timetable.yaml``: the jobs ``ocms scheduler`` runs and when |
| OCMS_LTA_URL, OCMS_LTA_API_KEY | empty: LTA vehicle ownership (``GET <url>/vehicle/owner?vehicleNo=``) and its ``API-Key`` |
| OCMS_DATAHIVE_URL, OCMS_DATAHIVE_API_KEY | empty: DataHive contacts (``GET <url>/contact?nric=``) |
| OCMS_MHA_URL, OCMS_MHA_API_KEY | empty: MHA particulars and address (``GET <url>/address?nric=``) |
| OCMS_LTA_TIMEOUT, OCMS_DATAHIVE_TIMEOUT, OCMS_MHA_TIMEOUT | ``30`` (seconds per call, OCMS 10 §3.4) |
| OCMS_SMS_URL, OCMS_SMS_API_KEY | empty: SMS gateway (``POST <url>/send``, OCMS 10 §3.5) and its ``API-Key`` |
| OCMS_EMAIL_URL, OCMS_EMAIL_API_KEY | empty: email service (``POST <url>/send``) |
| OCMS_SLIFT_URL, OCMS_SLIFT_API_KEY | empty: SLIFT letter submission (``POST <url>/submit``, multipart, §3.6) |
| OCMS_AN_LETTER_DIR | ``<report dir>/an-letters``: where the AN letters' PDFs are kept (``ocms_an_letter_log.letter_file_path`` is relative to it) |
| OCMS_TEMPLATES_DIR | ``<repo>/templates``: letter and message templates analysts edit (:mod:`api.letters`) |
| OCMS_CLASSIFIED_REPORT_TO | empty: the OICs who get the daily Classified Vehicle Notices Report, comma-separated |
| OCMS_TIMEZONE | ``Asia/Singapore``: the business time zone of every business date and time: schedules, run keys, stamps (repository/business_time.py) |
| OCMS_SFTP_HOST, OCMS_SFTP_PORT | empty, ``22``: the print vendor's SFTP server (:mod:`api.clients.sftp`) |
| OCMS_SFTP_USER, OCMS_SFTP_PASSWORD, OCMS_SFTP_KEY_FILE | empty: its login (password or private key file) |
| OCMS_SFTP_KNOWN_HOSTS | empty: known_hosts file holding the server's host key (required: unknown keys are refused) |
| OCMS_SFTP_DIR | ``/``: the vendor's directory; letters go to ``<dir>/<YYYYMMDD>/`` |
| OCMS_SFTP_TIMEOUT | ``30`` (seconds per connect and per operation) |

The service's edge (:func:`edge_settings`; README "Limits and timeouts"):

| variable | default |
| --- | --- |
| OCMS_MAX_CONTENT_LENGTH | ``4194304`` bytes: larger bodies are 413 OCMS-4013 before they are read |
| OCMS_JSON_MAX_DEPTH | ``20``: deeper nesting of objects/arrays is 400 OCMS-4000 |
| OCMS_JWT_ISSUER, OCMS_JWT_AUDIENCE | empty: when set, tokens must carry this ``iss`` / ``aud`` |
| OCMS_JWT_LEEWAY | ``0`` seconds of clock skew allowed on ``exp``/``nbf``/``iat`` |
| OCMS_STATEMENT_TIMEOUT | ``10`` seconds a database statement may run (PostgreSQL ``statement_timeout``) |
| OCMS_LOCK_TIMEOUT | ``3`` seconds a statement may wait for a lock (PostgreSQL ``lock_timeout``, SQLite busy timeout) |
| OCMS_REFERENCE_TTL | ``5`` seconds a worker keeps ``ocms_parameter`` and the offence rule codes cached (repository/reference_cache.py; its own writes empty the cache at once) |
| OCMS_EARLIEST_DATE | ``1990-01-01``: no date or time the service accepts is earlier |
| OCMS_LATEST_DATE | ``2099-12-31``: no date the service accepts is later (planned dates, report ranges) |
| OCMS_FUTURE_TOLERANCE_HOURS | ``24``: how far ahead of now the time of something that happened (an offence) may be |
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo

from repository.business_time import UnknownZoneError, parse_zone

#: The project root (the directory holding rules/, fixtures/, setup.cfg).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Systems that may hold an ``Ocp-Apim-Subscription-Key``.
SYSTEMS = ("cas", "plus", "repccs", "ces", "toppan", "admin", "eservice")

ENV_KEYS = (
    "OCMS_DATABASE_URL", "OCMS_RULES_DIR", "OCMS_FIXTURES_DIR", "OCMS_API_KEYS", "OCMS_JWT_SECRET",
    "OCMS_REPORT_DIR", "OCMS_LOG_LEVEL", "OCMS_RULES_CHECK_INTERVAL", "OCMS_TEMPLATES_DIR", "OCMS_RULES_RELOAD_WAIT",
    "OCMS_RULES_HEARTBEAT_TIMEOUT", "OCMS_RULES_CANDIDATES_DIR", "OCMS_IMPACT_MAX_DECISIONS",
    "OCMS_REPCCS_URL", "OCMS_CES_URL", "OCMS_REPCCS_API_KEY", "OCMS_CES_API_KEY",
    "OCMS_UNQUALIFIED_AN_TIMEOUT", "OCMS_UNQUALIFIED_AN_BACKOFF",
    "OCMS_CAS_URL", "OCMS_CAS_APIM_KEY", "OCMS_HTTP_TIMEOUT", "OCMS_HTTP_RETRIES", "OCMS_HTTP_BACKOFF",
    "OCMS_SMTP_HOST", "OCMS_SMTP_PORT", "OCMS_ALERT_FROM", "OCMS_ALERT_TO", "OCMS_CLASSIFIED_REPORT_TO",
    "OCMS_MAX_CONTENT_LENGTH", "OCMS_JSON_MAX_DEPTH", "OCMS_JWT_ISSUER", "OCMS_JWT_AUDIENCE", "OCMS_JWT_LEEWAY",
    "OCMS_STATEMENT_TIMEOUT", "OCMS_LOCK_TIMEOUT", "OCMS_REFERENCE_TTL", "OCMS_EARLIEST_DATE", "OCMS_LATEST_DATE",
    "OCMS_FUTURE_TOLERANCE_HOURS",
    "OCMS_TIMEZONE", "OCMS_TIMETABLE", "OCMS_ANS_REPORT_TO", "OCMS_LOG_FORMAT", "OCMS_METRICS_TOKEN", "OCMS_METRICS_BIND",
    *(f"OCMS_{system}_{part}" for system in ("LTA", "DATAHIVE", "MHA", "SMS", "EMAIL", "SLIFT")
      for part in ("URL", "API_KEY", "TIMEOUT")),
    "OCMS_AN_LETTER_DIR",
    *(f"OCMS_SFTP_{part}" for part in ("HOST", "PORT", "USER", "PASSWORD", "KEY_FILE", "KNOWN_HOSTS", "DIR", "TIMEOUT")),
)

#: The business time zone when OCMS_TIMEZONE is not set (DESIGN.md §10).
DEFAULT_TIMEZONE = "Asia/Singapore"


class ConfigError(ValueError):
    """A configuration value is malformed (raised at start-up, never per request)."""


def default_instance_path() -> Path:
    """Where the embedded SQLite file and the default report store live."""
    return PROJECT_ROOT / "instance"


def parse_api_keys(raw: str | Mapping[str, str] | None) -> dict[str, str]:
    """Parse ``"cas:k1,plus:k2"`` into ``{"cas": "k1", "plus": "k2"}``; reject unknown systems."""
    if not raw:
        return {}
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    else:
        pairs = []
        for item in str(raw).split(","):
            item = item.strip()
            if not item:
                continue
            system, sep, key = item.partition(":")
            if not sep or not key.strip():
                # Never echo the item: it may be a key.
                raise ConfigError("OCMS_API_KEYS entries must look like system:key")
            pairs.append((system.strip(), key.strip()))
    keys: dict[str, str] = {}
    for system, key in pairs:
        system = system.lower()
        if system not in SYSTEMS:
            raise ConfigError(f"OCMS_API_KEYS names unknown system {system!r} (known: {', '.join(SYSTEMS)})")
        keys[system] = key
    return keys


def load_config(environ: Mapping[str, str] | None = None, instance_path: str | os.PathLike | None = None) -> dict:
    """Return the Flask config keys of the service, read from ``environ`` (default ``os.environ``)."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path) if instance_path else default_instance_path()
    try:
        interval = float(env.get("OCMS_RULES_CHECK_INTERVAL") or 1)
    except ValueError:
        raise ConfigError("OCMS_RULES_CHECK_INTERVAL must be a number of seconds") from None
    return {
        "OCMS_DATABASE_URL": env.get("OCMS_DATABASE_URL") or f"sqlite:///{instance / 'ocms.db'}",
        "OCMS_RULES_DIR": env.get("OCMS_RULES_DIR") or str(PROJECT_ROOT / "rules"),
        "OCMS_FIXTURES_DIR": env.get("OCMS_FIXTURES_DIR") or str(PROJECT_ROOT / "fixtures"),
        "OCMS_API_KEYS": parse_api_keys(env.get("OCMS_API_KEYS")),
        "OCMS_JWT_SECRET": env.get("OCMS_JWT_SECRET") or None,
        "OCMS_REPORT_DIR": env.get("OCMS_REPORT_DIR") or str(instance / "reports"),
        "OCMS_AN_LETTER_DIR": env.get("OCMS_AN_LETTER_DIR") or str(Path(env.get("OCMS_REPORT_DIR") or
                                                                         instance / "reports") / "an-letters"),
        "OCMS_TEMPLATES_DIR": env.get("OCMS_TEMPLATES_DIR") or str(PROJECT_ROOT / "templates"),
        "OCMS_LOG_LEVEL": (env.get("OCMS_LOG_LEVEL") or "INFO").upper(),
        "OCMS_RULES_CHECK_INTERVAL": interval,
        "OCMS_RULES_RELOAD_WAIT": _seconds(env, "OCMS_RULES_RELOAD_WAIT", 10),
        "OCMS_RULES_HEARTBEAT_TIMEOUT": _seconds(env, "OCMS_RULES_HEARTBEAT_TIMEOUT", 5),
        "OCMS_RULES_CANDIDATES_DIR": env.get("OCMS_RULES_CANDIDATES_DIR") or None,
        "OCMS_IMPACT_MAX_DECISIONS": _count(env, "OCMS_IMPACT_MAX_DECISIONS", 200_000),
        "OCMS_REPCCS_URL": env.get("OCMS_REPCCS_URL") or None,
        "OCMS_CES_URL": env.get("OCMS_CES_URL") or None,
        "OCMS_REPCCS_API_KEY": env.get("OCMS_REPCCS_API_KEY") or None,
        "OCMS_CES_API_KEY": env.get("OCMS_CES_API_KEY") or None,
        "OCMS_UNQUALIFIED_AN_TIMEOUT": _seconds(env, "OCMS_UNQUALIFIED_AN_TIMEOUT", 60),
        "OCMS_UNQUALIFIED_AN_BACKOFF": _seconds(env, "OCMS_UNQUALIFIED_AN_BACKOFF", 2),
        "OCMS_CAS_URL": (env.get("OCMS_CAS_URL") or "").rstrip("/") or None,
        "OCMS_CAS_APIM_KEY": env.get("OCMS_CAS_APIM_KEY") or None,
        "OCMS_HTTP_TIMEOUT": _timeout(env, "OCMS_HTTP_TIMEOUT", (10.0, 60.0)),
        "OCMS_HTTP_RETRIES": _count(env, "OCMS_HTTP_RETRIES", 3),
        "OCMS_HTTP_BACKOFF": _seconds(env, "OCMS_HTTP_BACKOFF", 2),
        "OCMS_SMTP_HOST": env.get("OCMS_SMTP_HOST") or "127.0.0.1",
        "OCMS_SMTP_PORT": _count(env, "OCMS_SMTP_PORT", 8025),
        "OCMS_ALERT_FROM": env.get("OCMS_ALERT_FROM") or "ocms@localhost",
        "OCMS_ALERT_TO": [a.strip() for a in (env.get("OCMS_ALERT_TO") or "").split(",") if a.strip()],
        "OCMS_CLASSIFIED_REPORT_TO": [a.strip() for a in (env.get("OCMS_CLASSIFIED_REPORT_TO") or "").split(",")
                                      if a.strip()],
        "OCMS_TIMEZONE": business_zone(env.get("OCMS_TIMEZONE")).key,
        "OCMS_TIMETABLE": env.get("OCMS_TIMETABLE") or str(PROJECT_ROOT / "timetable.yaml"),
        "OCMS_ANS_REPORT_TO": [a.strip() for a in (env.get("OCMS_ANS_REPORT_TO") or "").split(",") if a.strip()],
        "OCMS_LOG_FORMAT": _choice(env, "OCMS_LOG_FORMAT", ("json", "text"), "json"),
        "OCMS_METRICS_TOKEN": env.get("OCMS_METRICS_TOKEN") or None,
        "OCMS_METRICS_BIND": env.get("OCMS_METRICS_BIND") or None,
        "OCMS_METRICS_PORT": metrics_port(env.get("OCMS_METRICS_BIND")),
        **_external_systems(env),
        "OCMS_SFTP_HOST": env.get("OCMS_SFTP_HOST") or None,
        "OCMS_SFTP_PORT": _count(env, "OCMS_SFTP_PORT", 22),
        "OCMS_SFTP_USER": env.get("OCMS_SFTP_USER") or None,
        "OCMS_SFTP_PASSWORD": env.get("OCMS_SFTP_PASSWORD") or None,
        "OCMS_SFTP_KEY_FILE": env.get("OCMS_SFTP_KEY_FILE") or None,
        "OCMS_SFTP_KNOWN_HOSTS": env.get("OCMS_SFTP_KNOWN_HOSTS") or None,
        "OCMS_SFTP_DIR": env.get("OCMS_SFTP_DIR") or "/",
        "OCMS_SFTP_TIMEOUT": _seconds(env, "OCMS_SFTP_TIMEOUT", 30),
        **edge_settings(env),
    }


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def metrics_port(bind: str | None) -> int | None:
    """The port of ``OCMS_METRICS_BIND`` (``host:port``), or None if unset."""
    if not bind:
        return None
    _, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("OCMS_METRICS_BIND must be host:port, e.g. 127.0.0.1:9464")
    return int(port)


def business_zone(name: str | None = None) -> ZoneInfo:
    """The business time zone ``name`` (default :data:`DEFAULT_TIMEZONE`); ConfigError if unknown.

    The one parser of OCMS_TIMEZONE (repository/business_time.py), as a start-up error.
    """
    try:
        return parse_zone(name or DEFAULT_TIMEZONE)
    except UnknownZoneError:
        raise ConfigError(f"OCMS_TIMEZONE {name!r} is not a known time zone (e.g. Asia/Singapore)") from None


def _external_systems(env: Mapping[str, str]) -> dict:
    """URL, API key and per-call timeout of LTA, DataHive, MHA (OCMS 10 §3.4: 30 s), SMS, email (§3.5: 10 s), SLIFT.

    The AN notification flow (api/notifications) takes its timeouts and retries from rules/an_notification_route.yaml.
    """
    out: dict = {}
    for system in ("LTA", "DATAHIVE", "MHA", "SMS", "EMAIL", "SLIFT"):
        out[f"OCMS_{system}_URL"] = (env.get(f"OCMS_{system}_URL") or "").rstrip("/") or None
        out[f"OCMS_{system}_API_KEY"] = env.get(f"OCMS_{system}_API_KEY") or None
        default = 10.0 if system in ("SMS", "EMAIL") else 30.0
        out[f"OCMS_{system}_TIMEOUT"] = _timeout(env, f"OCMS_{system}_TIMEOUT", default)
    return out


def edge_settings(env: Mapping[str, str]) -> dict:
    """Limits, timeouts and the plausible-date window of the service's edge (module docstring table)."""
    settings = {
        "OCMS_MAX_CONTENT_LENGTH": _count(env, "OCMS_MAX_CONTENT_LENGTH", 4 * 1024 * 1024),
        "OCMS_JSON_MAX_DEPTH": _count(env, "OCMS_JSON_MAX_DEPTH", 20),
        "OCMS_JWT_ISSUER": env.get("OCMS_JWT_ISSUER") or None,
        "OCMS_JWT_AUDIENCE": env.get("OCMS_JWT_AUDIENCE") or None,
        "OCMS_JWT_LEEWAY": _seconds(env, "OCMS_JWT_LEEWAY", 0),
        "OCMS_STATEMENT_TIMEOUT": _seconds(env, "OCMS_STATEMENT_TIMEOUT", 10),
        "OCMS_LOCK_TIMEOUT": _seconds(env, "OCMS_LOCK_TIMEOUT", 3),
        "OCMS_REFERENCE_TTL": _seconds(env, "OCMS_REFERENCE_TTL", 5),
        "OCMS_EARLIEST_DATE": _date(env, "OCMS_EARLIEST_DATE", dt.date(1990, 1, 1)),
        "OCMS_LATEST_DATE": _date(env, "OCMS_LATEST_DATE", dt.date(2099, 12, 31)),
        "OCMS_FUTURE_TOLERANCE_HOURS": _seconds(env, "OCMS_FUTURE_TOLERANCE_HOURS", 24),
    }
    if settings["OCMS_EARLIEST_DATE"] >= settings["OCMS_LATEST_DATE"]:
        raise ConfigError("OCMS_EARLIEST_DATE must be before OCMS_LATEST_DATE")
    if settings["OCMS_JSON_MAX_DEPTH"] < 2 or settings["OCMS_MAX_CONTENT_LENGTH"] < 1024:
        raise ConfigError("OCMS_JSON_MAX_DEPTH must be at least 2 and OCMS_MAX_CONTENT_LENGTH at least 1024")
    return settings


def _date(env: Mapping[str, str], name: str, default: dt.date) -> dt.date:
    """A yyyy-mm-dd date from ``env[name]`` (``default`` if unset)."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a date yyyy-mm-dd") from None


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number of seconds from ``env[name]`` (``default`` if unset)."""
    try:
        value = float(env.get(name) or default)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A non-negative integer from ``env[name]`` (``default`` if unset)."""
    try:
        value = int(env.get(name) or default)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _timeout(env: Mapping[str, str], name: str, default: float | tuple[float, float]) -> float | tuple[float, float]:
    """Seconds from ``env[name]``: ``30`` (connect and read) or ``5,60`` (connect,read)."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if not 1 <= len(values) <= 2 or any(v <= 0 for v in values):
        raise ConfigError(f"{name} must be seconds: one positive number, or two as connect,read")
    return values[0] if len(values) == 1 else (values[0], values[1])


def finalise(config: dict) -> None:
    """Normalise values a test config may give in a convenient form (keys as a string)."""
    config["OCMS_API_KEYS"] = parse_api_keys(config.get("OCMS_API_KEYS"))
    config["OCMS_RULES_CHECK_INTERVAL"] = float(config.get("OCMS_RULES_CHECK_INTERVAL") or 0)
    config["OCMS_LOG_LEVEL"] = str(config.get("OCMS_LOG_LEVEL") or "INFO").upper()
    config["OCMS_TIMEZONE"] = business_zone(config.get("OCMS_TIMEZONE")).key
