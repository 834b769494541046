"""The timetable of ``ocms scheduler``: which job runs when, under which run key (issue 16, "Scheduler").

The file (``OCMS_TIMETABLE``, default ``timetable.yaml`` at the project root) is
YAML an operator edits; one line per job::

    catch_up_days: 7                        # how far back missed runs are looked for
    jobs:
      unqualified-an-list: {cron: "0 2 * * *", key: "{prev_day}", catch_up: all}
      mirror-retry:        {every: 15m, key: "{fire:%Y-%m-%dT%H%M}"}

Per job:

``cron``
    five crontab fields (minute hour day month weekday), in the business time
    zone (``OCMS_TIMEZONE``, default Asia/Singapore) whatever the host's zone;
``every``
    instead of ``cron``: ``30s``, ``15m``, ``2h``, ``1d``. Fire times are counted
    from midnight 2000-01-01 business time, so every machine fires at the same
    instants (``15m``: :00, :15, :30, :45) and derives the same keys;
``key``
    the run key, a template of the fire time: ``{date}`` (its date,
    ``2026-01-15``), ``{prev_day}`` (the day before), ``{fire:<strftime>}``
    (e.g. ``{fire:%Y-%m-%dT%H%M}``); default ``{date}``;
``enabled``
    ``false`` keeps the line but never runs it (default ``true``);
``catch_up``
    what to do about fire times that passed while no scheduler ran:
    ``last`` (default) — run the latest one's key if it has not succeeded
    (looked for up to 400 days back);
    ``all`` — run, oldest first, every key of the last ``catch_up_days`` that has
    not succeeded, back to the oldest key the job has any run for (a job with
    no run in that window starts with its latest key only; at most
    :data:`MAX_CATCH_UP` keys); ``none`` — only fire times still to come.

A key that failed counts as not succeeded: the next fire of the job (or the
next start of a scheduler) tries it again, within those bounds. Which keys are
due is computed the same way at start-up and at every fire, so a missed run is
caught up once, and two schedulers agree on the keys.
"""
from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import yaml

#: Keys a ``catch_up: all`` entry may run at once.
MAX_CATCH_UP = 100
DEFAULT_CATCH_UP_DAYS = 7
#: How far back the latest fire time is looked for (catch-up ``last``).
LAST_WINDOW = dt.timedelta(days=400)
#: ``every`` fire times are counted from this midnight (business time), on every machine alike.
ANCHOR = dt.datetime(2000, 1, 1)
CATCH_UP_POLICIES = ("last", "all", "none")
ENTRY_FIELDS = {"cron", "every", "key", "enabled", "catch_up"}
TOP_FIELDS = {"jobs", "catch_up_days"}
KEY_FIELDS = ("date", "prev_day", "fire")
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class TimetableError(ValueError):
    """The timetable file is wrong; ``errors`` lists every problem as ``file:line: job: message``."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class Entry:
    """One line of the timetable."""

    job: str
    key_template: str = "{date}"
    cron: str | None = None
    every: dt.timedelta | None = None
    enabled: bool = True
    catch_up: str = "last"
    line: int = 0

    def schedule(self) -> str:
        return f"cron {self.cron}" if self.cron else f"every {_format_every(self.every)}"

    def run_key(self, fire: dt.datetime) -> str:
        """The run key of the fire time ``fire`` (aware, business time)."""
        return render_key(self.key_template, fire)

    def trigger(self, zone: ZoneInfo):
        """The APScheduler trigger firing this entry in ``zone``."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger
        if self.cron:
            return CronTrigger.from_crontab(self.cron, timezone=zone)
        return IntervalTrigger(seconds=int(self.every.total_seconds()), start_date=ANCHOR.replace(tzinfo=zone),
                               timezone=zone)

    def fire_times(self, zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
        """Every fire time in ``(start, end]`` (aware datetimes in ``zone``), oldest first."""
        start, end = start.astimezone(zone), end.astimezone(zone)
        if self.every:
            anchor, step = ANCHOR.replace(tzinfo=zone), self.every
            k = (start - anchor) // step + 1
            out = []
            t = anchor + k * step
            while t <= end:
                out.append(t)
                t += step
            return out
        trigger = self.trigger(zone)
        out = []
        t = trigger.get_next_fire_time(None, start + dt.timedelta(microseconds=1))
        while t is not None and t <= end:
            out.append(t)
            t = trigger.get_next_fire_time(t, t + dt.timedelta(microseconds=1))
        return out

    def recent_fire_times(self, zone: ZoneInfo, now: dt.datetime, window: dt.timedelta,
                          limit: int) -> list[dt.datetime]:
        """The latest ``limit`` fire times at or before ``now``, none older than ``now - window``; oldest first.

        The window is at least one period of an ``every`` entry (the latest fire is always in it).
        """
        if self.every:
            window = max(window, 2 * self.every)
        span = dt.timedelta(minutes=2)
        while True:
            span = min(span, window)
            times = self.fire_times(zone, now - span, now)
            if len(times) >= limit or span >= window:
                return times[-limit:]
            span *= 8


@dataclass
class Timetable:
    """Every entry of the file, and how far back missed runs are looked for."""

    entries: list[Entry] = field(default_factory=list)
    catch_up_days: int = DEFAULT_CATCH_UP_DAYS
    path: str | None = None

    def enabled(self) -> list[Entry]:
        return [e for e in self.entries if e.enabled]

    def get(self, job: str) -> Entry:
        for e in self.entries:
            if e.job == job:
                return e
        raise KeyError(job)


# ---- run keys --------------------------------------------------------------------------------------
def key_values(fire: dt.datetime) -> dict[str, Any]:
    """The names a key template may use, for fire time ``fire``."""
    day = fire.date()
    return {"date": day, "prev_day": day - dt.timedelta(days=1), "fire": fire}


def check_template(template: str) -> str | None:
    """Why ``template`` is not a usable key template (None: it is)."""
    if not isinstance(template, str) or not template.strip():
        return "key must be a non-empty template such as '{date}'"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as e:
        return f"key template {template!r}: {e}"
    for _, name, _, conversion in parts:
        if name is None:
            continue
        if name not in KEY_FIELDS:
            return f"key template {template!r} uses {{{name}}}; known: {', '.join('{' + k + '}' for k in KEY_FIELDS)}"
        if conversion:
            return f"key template {template!r}: no !{conversion} conversions"
    try:
        sample = render_key(template, dt.datetime(2026, 1, 15, 2, 0))
    except (ValueError, TypeError) as e:
        return f"key template {template!r}: {e}"
    if len(sample) > 50:
        return f"key template {template!r} gives {len(sample)} characters; run keys hold at most 50"
    return None


def render_key(template: str, fire: dt.datetime) -> str:
    """``template`` filled in for fire time ``fire`` (e.g. ``{prev_day}`` → ``2026-01-14``)."""
    return template.format(**key_values(fire))


# ---- loading ---------------------------------------------------------------------------------------
class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping (``__line__``)."""


def _mapping_with_line(loader, node):
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def parse_every(value: Any) -> dt.timedelta:
    """``"15m"`` → 15 minutes (units s, m, h, d); raise ValueError otherwise."""
    m = _EVERY.match(str(value))
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"every must look like 30s, 15m, 2h or 1d, got {value!r}")
    return dt.timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def _format_every(delta: dt.timedelta) -> str:
    s = int(delta.total_seconds())
    for unit in ("d", "h", "m"):
        if s % _UNITS[unit] == 0:
            return f"{s // _UNITS[unit]}{unit}"
    return f"{s}s"


def _check_cron(expr: Any) -> str | None:
    from apscheduler.triggers.cron import CronTrigger
    if not isinstance(expr, str) or len(expr.split()) != 5:
        return f"cron must have five fields (minute hour day month weekday), got {expr!r}"
    try:
        CronTrigger.from_crontab(expr, timezone=ZoneInfo("UTC"))
    except ValueError as e:
        return f"cron {expr!r}: {e}"
    return None


def parse_timetable(text: str, path: str = "<timetable>", known_jobs: Iterable[str] | None = None) -> Timetable:
    """Parse timetable YAML; raise :class:`TimetableError` listing every problem (with its line)."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise TimetableError([f"{path}:{mark.line + 1 if mark else 1}: not valid YAML: "
                              f"{getattr(e, 'problem', None) or e}"]) from None
    errors: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        raise TimetableError([f"{path}:1: the file must be a mapping with 'jobs:' (job name: {{cron|every, key}})"])
    for k in set(data) - TOP_FIELDS - {"__line__"}:
        errors.append(f"{path}:{data['__line__']}: unknown setting {k!r} (known: {', '.join(sorted(TOP_FIELDS))})")
    days = data.get("catch_up_days", DEFAULT_CATCH_UP_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        errors.append(f"{path}:{data['__line__']}: catch_up_days must be a whole number of days ≥ 1, got {days!r}")
        days = DEFAULT_CATCH_UP_DAYS
    known = set(known_jobs) if known_jobs is not None else None
    entries: list[Entry] = []
    jobs_line = data["jobs"].get("__line__", 1)
    for name, spec in data["jobs"].items():
        if name == "__line__":
            continue
        if not isinstance(spec, dict):
            errors.append(f"{path}:{jobs_line}: {name}: expected {{cron: ..., key: ...}}, got {spec!r}")
            continue
        line = spec.pop("__line__", jobs_line)
        where = f"{path}:{line}: {name}"
        problems = []
        if known is not None and name not in known:
            problems.append(f"no job of that name (known: {', '.join(sorted(known))})")
        unknown = set(spec) - ENTRY_FIELDS
        if unknown:
            problems.append(f"unknown field(s) {', '.join(sorted(map(str, unknown)))} "
                            f"(known: {', '.join(sorted(ENTRY_FIELDS))})")
        cron, every = spec.get("cron"), None
        if (cron is None) == (spec.get("every") is None):
            problems.append("give exactly one of cron or every")
        elif cron is not None:
            problem = _check_cron(cron)
            if problem:
                problems.append(problem)
        else:
            try:
                every = parse_every(spec["every"])
            except ValueError as e:
                problems.append(str(e))
        template = spec.get("key", "{date}")
        problem = check_template(template)
        if problem:
            problems.append(problem)
        enabled = spec.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.append(f"enabled must be true or false, got {enabled!r}")
        catch_up = spec.get("catch_up", "last")
        if catch_up not in CATCH_UP_POLICIES:
            problems.append(f"catch_up must be one of {', '.join(CATCH_UP_POLICIES)}, got {catch_up!r}")
        if problems:
            errors.extend(f"{where}: {p}" for p in problems)
            continue
        entries.append(Entry(name, template, cron, every, enabled, catch_up, line))
    if errors:
        raise TimetableError(errors)
    return Timetable(entries, days, path)


def load_timetable(path: str | Path, known_jobs: Iterable[str] | None = None) -> Timetable:
    """Read and parse the timetable file at ``path`` (see :func:`parse_timetable`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise TimetableError([f"{p}: cannot read the timetable ({e.strerror or e})"]) from None
    return parse_timetable(text, str(p), known_jobs)


# ---- which keys are due ------------------------------------------------------------------------------
def due_keys(entry: Entry, zone: ZoneInfo, now: dt.datetime, window_days: int,
             succeeded: set[str], seen: set[str], policy: str | None = None) -> list[str]:
    """The run keys of ``entry`` to run now, oldest first (see the module's ``catch_up``).

    ``succeeded``/``seen``: keys of the job with a SUCCESS run / with any run,
    among :func:`candidate_keys`. ``policy`` overrides the entry's (the regular
    fire of a ``none`` entry runs its latest key, as ``last``).
    """
    policy = policy or entry.catch_up
    if policy == "none":
        return []
    keys = candidate_keys(entry, zone, now, window_days, 1 if policy == "last" else MAX_CATCH_UP)
    if not keys:
        return []
    if policy == "last":
        return [k for k in keys[-1:] if k not in succeeded]
    first = next((i for i, k in enumerate(keys) if k in seen), None)
    if first is None:  # no run in the window: begin with the latest key
        return [k for k in keys[-1:] if k not in succeeded]
    return [k for k in keys[first:] if k not in succeeded]


def candidate_keys(entry: Entry, zone: ZoneInfo, now: dt.datetime, window_days: int, limit: int) -> list[str]:
    """Distinct run keys of the latest ``limit`` fire times within the window, oldest first.

    The latest fire alone (``limit`` 1, catch-up ``last``) is looked for up to
    :data:`LAST_WINDOW` back, so a monthly job finds its latest key too.
    """
    window = dt.timedelta(days=window_days)
    if limit == 1:
        window = max(window, LAST_WINDOW)
    fires = entry.recent_fire_times(zone, now, window, limit)
    keys: list[str] = []
    for f in fires:
        k = entry.run_key(f)
        if k not in keys:
            keys.append(k)
    return keys


__all__ = ["ANCHOR", "CATCH_UP_POLICIES", "DEFAULT_CATCH_UP_DAYS", "Entry", "MAX_CATCH_UP", "Timetable",
           "TimetableError", "candidate_keys", "check_template", "due_keys", "key_values", "load_timetable",
           "parse_every", "parse_timetable", "render_key"]
