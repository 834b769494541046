"""The ``ocms`` command line: serve, database, rules (check/test/explain) and batch jobs.

    ocms serve [--host H] [--port P] [--workers N] [--dev]
    ocms db upgrade
    ocms db seed [--demo] [--notices N]
    ocms rules check [PATH]
    ocms rules test [--coverage] [--min-coverage PCT] [--junit-xml PATH] [--quiet] [--rules DIR] [PATH]
    ocms rules explain RULESET --facts FILE_OR_JSON [--param k=v ...] [--rules DIR]
    ocms rules diff CANDIDATE_DIR [--against fixtures|decision-log] [--since DATE] [--until DATE] [--ruleset NAME]
                   [--baseline DIR] [--limit N] [--json FILE]
    ocms rules replay (--id N ... | --subject NOTICE_NO) [--ruleset NAME] [--limit N] [--json]
    ocms jobs list
    ocms jobs run NAME [--key RUN_KEY] [--force]
    ocms scheduler [--timetable FILE] [--check] [--metrics-bind HOST:PORT] [--workers N]
    ocms scenarios test [PATH] [--database-url URL] [--quiet]

Settings come from the ``OCMS_*`` environment (see api/config.py). Exit
status: 0 success, 1 failure (bad rules, failed fixtures, failed job, bad
timetable), 2 usage (unknown job), 3 ``jobs run`` found the key already
running elsewhere (SKIPPED_RUNNING: nothing done).
``rules diff`` and ``rules replay`` answer like diff(1): 0 nothing would
change, 1 something would, 2 trouble (invalid candidate, nothing published, no
decision found).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import ConfigError, load_config


def _engine():
    # Imported on demand: `ocms serve` must not import durable_rules in the gunicorn master.
    import engine

    from .decisions.vocabulary import VOCABULARY
    return engine, VOCABULARY


def _database(config: dict):
    from repository.db import make_engine, make_session_factory

    from .database import Database
    eng = make_engine(config["OCMS_DATABASE_URL"])
    return Database(eng, make_session_factory(eng))


# ---- serve ------------------------------------------------------------------
def cmd_serve(args, config) -> int:
    if args.dev:
        from .app import create_app
        create_app().run(host=args.host, port=args.port, debug=True, use_reloader=False)
        return 0
    from .server import serve
    limit = float(config.get("OCMS_STATEMENT_TIMEOUT") or 0)
    if limit and limit >= args.timeout:
        print(f"ocms serve: OCMS_STATEMENT_TIMEOUT ({limit:g}s) must be below the worker timeout "
              f"(--timeout {args.timeout}s)", file=sys.stderr)
        return 2
    serve(args.host, args.port, args.workers, timeout=args.timeout, log_level=config["OCMS_LOG_LEVEL"],
          log_format=config["OCMS_LOG_FORMAT"], metrics_bind=args.metrics_bind or config["OCMS_METRICS_BIND"],
          threads=args.threads, body_timeout=args.body_timeout,
          header_timeout=args.header_timeout, keepalive=args.keep_alive)
    return 0


# ---- db -----------------------------------------------------------------------
def cmd_db_upgrade(args, config) -> int:
    from repository.migrate import upgrade
    upgrade(config["OCMS_DATABASE_URL"])
    print("database upgraded to the newest schema")
    return 0


def cmd_db_seed(args, config) -> int:
    from repository.seed import seed_demo, seed_reference
    db = _database(config)
    with db.unit_of_work() as uow:
        counts = seed_demo(uow.session, notices=args.notices) if args.demo else seed_reference(uow.session)
        uow.commit()
    inserted = {t: n for t, n in counts.items() if n}
    print(("demo" if args.demo else "reference") + " data: " +
          (", ".join(f"{t} +{n}" for t, n in inserted.items()) or "nothing to insert (already seeded)"))
    # The database copy of the stage map (ocms_stage_map, NEXT_STAGE, STAGEDAYS) follows rules/stage_map.yaml.
    from .areas import load_jobs
    from .jobs import run_job
    load_jobs()
    sync = run_job(db, "cps-stage-map-sync", force=True)
    print(f"stage map copied from the rules: {sync['status']} {sync.get('counts', sync.get('error', ''))}")
    return 0 if sync["status"] == "SUCCESS" else 1


# ---- rules -----------------------------------------------------------------------
def cmd_rules_check(args, config) -> int:
    engine, vocabulary = _engine()
    directory = args.path or config["OCMS_RULES_DIR"]
    warnings: list = []
    errors = engine.check_directory(directory, vocabulary, timezone=config["OCMS_TIMEZONE"], warnings=warnings)
    for e in sorted(errors + warnings, key=lambda e: (e.file, e.line, e.column)):
        print(str(e))
    tail = f", {len(warnings)} warning(s)" if warnings else ""
    if errors:
        print(f"{len(errors)} error(s){tail} in {directory}", file=sys.stderr)
        return 1
    names = sorted(engine.load_directory(directory, vocabulary, timezone=config["OCMS_TIMEZONE"])[0])
    print(f"OK: {len(names)} rulesets ({', '.join(names)}){tail}")
    return 0


def _registry(rules_dir: str):
    engine, vocabulary = _engine()
    try:
        from repository.business_time import business_zone
        return engine.RuleRegistry(rules_dir, actions=vocabulary, timezone=str(business_zone()))
    except engine.RulesLoadError as e:
        for err in e.errors:
            print(str(err))
        return None


def cmd_rules_test(args, config) -> int:
    engine, _ = _engine()
    registry = _registry(args.rules or config["OCMS_RULES_DIR"])
    if registry is None:
        return 1
    try:
        report = engine.replay(registry, args.path or config["OCMS_FIXTURES_DIR"])
        print(engine.format_report(report, coverage=args.coverage, verbose=not args.quiet))
        minimum = args.min_coverage
        coverage = engine.measure_coverage(registry, report) if args.coverage or minimum is not None else None
        if args.coverage or minimum is not None:
            print("")
            print(engine.format_coverage(coverage, minimum, verbose=not args.quiet))
        if args.junit_xml:
            out = Path(args.junit_xml)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(engine.junit_xml(report, coverage, minimum), encoding="utf-8")
        low = coverage.below(minimum) if minimum is not None else []
        return 0 if report.ok and not low else 1
    finally:
        registry.close()


def _facts_arg(value: str) -> dict:
    """``--facts`` is a JSON object or a JSON/YAML file holding one."""
    text = value
    if not value.lstrip().startswith("{"):
        path = Path(value)
        if not path.is_file():
            raise SystemExit(f"--facts: {value!r} is neither a JSON object nor a file")
        text = path.read_text(encoding="utf-8")
    try:
        facts = json.loads(text)
    except json.JSONDecodeError:
        import yaml
        facts = yaml.safe_load(text)
    if not isinstance(facts, dict):
        raise SystemExit("--facts must hold an object of fact name: value")
    return facts.get("facts", facts) if set(facts) <= {"facts", "parameters", "name", "expect"} else facts


def _percent(value: str) -> float:
    try:
        pct = float(value.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a percentage (a number from 0 to 100)") from None
    if not 0 <= pct <= 100:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{value!r} is not a percentage (a number from 0 to 100)")
    return pct


def _param(value: str) -> tuple[str, object]:
    name, sep, raw = value.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError("--param takes name=value")
    try:
        return name, json.loads(raw)
    except json.JSONDecodeError:
        return name, raw


def cmd_rules_explain(args, config) -> int:
    engine, _ = _engine()
    registry = _registry(args.rules or config["OCMS_RULES_DIR"])
    if registry is None:
        return 1
    try:
        decision = registry.evaluate(args.ruleset, _facts_arg(args.facts), explain=True,
                                     parameters=dict(args.param) or None)
    except engine.FactError as e:
        for p in e.problems:
            print(f"fact {p.fact}: {p.message}", file=sys.stderr)
        return 1
    except engine.UnknownRulesetError as e:
        print(str(e), file=sys.stderr)
        return 1
    finally:
        registry.close()
    print(json.dumps(decision.to_dict(), indent=2, default=str))
    return 0


def _versions(config, tmp: str):
    from .workbench.replay import VersionRegistries
    engine, vocabulary = _engine()
    return VersionRegistries(_database(config), Path(tmp),
                             lambda d: engine.RuleRegistry(d, actions=vocabulary))


def cmd_rules_diff(args, config) -> int:
    """Impact of a candidate rules directory beside the rules in service (issue 15)."""
    import tempfile

    from .workbench.impact import SOURCES, Window, format_section, run_impact
    against = tuple(dict.fromkeys(args.against or SOURCES))
    candidate = _registry(args.candidate)
    if candidate is None:
        print(f"the candidate {args.candidate} has errors (above); nothing compared", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        versions = _versions(config, tmp)
        try:
            if args.baseline:
                baseline, label = _registry(args.baseline), f"the rules in {args.baseline}"
                if baseline is None:
                    return 2
                versions._by_bundle["--baseline"] = baseline  # closed with the others
            else:
                try:
                    found = versions.published()
                except Exception as e:
                    print(f"cannot read the published rules from the database: {str(e).splitlines()[0]}\n"
                          "(set OCMS_DATABASE_URL, or compare with --baseline DIR)", file=sys.stderr)
                    return 2
                if found is None:
                    print("nothing is published in the database yet: start the service once, or use --baseline DIR",
                          file=sys.stderr)
                    return 2
                baseline, generation = found
                label = f"the rules in service (published generation {generation})"
            window = Window(since=args.since, until=args.until, ruleset=args.ruleset)
            try:
                result = run_impact(baseline, candidate, database=versions.database, against=against,
                                    fixtures_dir=config["OCMS_FIXTURES_DIR"], window=window, keep=max(args.limit, 0))
            except Exception as e:  # the decision log could not be read
                if "decision-log" not in against:
                    raise
                print(f"cannot read the decision log: {str(e).splitlines()[0]}\n"
                      "(set OCMS_DATABASE_URL, or use --against fixtures)", file=sys.stderr)
                return 2
        finally:
            versions.close()
            candidate.close()
    print(f"candidate {args.candidate} against {label}")
    for key, title in (("fixtures", "fixture cases"), ("decisionLog", "logged decisions")):
        if key not in result:
            continue
        section = result[key]
        print(f"\n== {title}" + (f" ({section['rowsRead']} read in {section['seconds']} s, "
                                  f"{section['rowsPerSecond']} rows/s)" if key == "decisionLog" else ""))
        for e in section.get("errors", []):
            print(f"{e['file']}:{e['line']}:{e['column']}: {e['message']}")
        print(format_section(section, args.limit))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 1 if result["changed"] else 0


def cmd_rules_replay(args, config) -> int:
    """Re-decide logged decisions under the version that made them and under today's (issue 15)."""
    import tempfile

    from repository.queries import logged_decisions

    from .workbench.replay import format_replay, replay_rows
    if not args.id and not args.subject:
        print("give --id N (repeatable) or --subject NOTICE_NO", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        versions = _versions(config, tmp)
        try:
            try:
                found = versions.published()
            except Exception as e:
                print(f"cannot read the decision log: {str(e).splitlines()[0]} (set OCMS_DATABASE_URL)", file=sys.stderr)
                return 2
            if found is None:
                print("nothing is published in the database yet", file=sys.stderr)
                return 2
            today, generation = found
            with versions.database.session() as s:
                rows = logged_decisions(s, ids=args.id or None, subject=args.subject, ruleset=args.ruleset,
                                        limit=args.limit)
                items = replay_rows(rows, database=versions.database, today=today, today_generation=generation,
                                    versions=versions)
        finally:
            versions.close()
    if not items:
        print("no decision found in the decision log for " + (f"ids {args.id}" if args.id else f"subject {args.subject}"),
              file=sys.stderr)
        return 2
    print(json.dumps(items, indent=2, default=str) if args.json else format_replay(items))
    return 1 if any(it["changedToday"] for it in items) else 0


def _date(value: str):
    from datetime import date, datetime
    try:
        return datetime.fromisoformat(value) if "T" in value or " " in value else \
            datetime.combine(date.fromisoformat(value), datetime.min.time())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD) or a date and time") from None


# ---- jobs ---------------------------------------------------------------------------
def cmd_jobs_list(args, config) -> int:
    from .areas import load_jobs
    from .jobs import registry
    load_jobs()
    if not registry.JOBS:
        print("no jobs registered yet")
    for job in sorted(registry.JOBS.values(), key=lambda j: j.name):
        print(f"{job.name}\t{job.description}")
    return 0


def cmd_jobs_run(args, config) -> int:
    from .areas import load_jobs
    from .jobs import UnknownJobError, run_job
    from .web.logging import configure_logging, register_secrets, secrets_of
    configure_logging(config["OCMS_LOG_LEVEL"], config["OCMS_LOG_FORMAT"])  # job steps as JSON lines on stderr
    register_secrets(secrets_of(config))
    load_jobs()
    try:
        outcome = run_job(_database(config), args.name, args.key, force=args.force)
    except (UnknownJobError, ValueError) as e:
        print(str(e), file=sys.stderr)
        return 2
    print(json.dumps(outcome, default=str))
    if outcome["status"] == "SKIPPED_RUNNING":
        return 3
    return 0 if outcome["status"] in ("SUCCESS", "ALREADY_DONE") else 1


# ---- scheduler ------------------------------------------------------------------------
def _bind(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, e.g. 127.0.0.1:9465")
    return host or "127.0.0.1", int(port)


def cmd_scheduler(args, config) -> int:
    import datetime as dt

    from .areas import load_jobs
    from .config import business_zone
    from .jobs import registry
    from .jobs.scheduler import Scheduler, keys_due
    from .jobs.timetable import TimetableError, load_timetable
    from .web.logging import configure_logging

    import logging
    from .web.logging import register_secrets, secrets_of
    configure_logging(config["OCMS_LOG_LEVEL"], config["OCMS_LOG_FORMAT"])
    register_secrets(secrets_of(config))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own line per job step says what ran
    load_jobs()
    path = args.timetable or config["OCMS_TIMETABLE"]
    try:
        timetable = load_timetable(path, known_jobs=registry.JOBS)
    except TimetableError as e:
        for err in e.errors:
            print(err, file=sys.stderr)
        return 1
    zone = business_zone(config["OCMS_TIMEZONE"])
    database = _database(config)
    if args.check:
        now = dt.datetime.now(zone)
        print(f"{path}: {len(timetable.entries)} jobs, times in {zone.key} (now {now:%Y-%m-%d %H:%M:%S})")
        for e in timetable.entries:
            nxt = e.fire_times(zone, now, now + dt.timedelta(days=400))[:1]
            try:
                due = keys_due(database, e, zone, timetable.catch_up_days, now) if e.enabled else []
            except Exception as exc:  # no database yet: still check the file
                due = [f"? ({type(exc).__name__})"]
            print(f"{e.job}\t{e.schedule()}\tkey {e.key_template}\t"
                  f"{'next ' + nxt[0].strftime('%Y-%m-%d %H:%M') if nxt else 'never'}\t"
                  f"{'enabled' if e.enabled else 'disabled'}\tcatch_up {e.catch_up}\t"
                  f"due now: {', '.join(due) or '-'}")
        return 0
    if args.metrics_bind:
        from prometheus_client import start_http_server
        host, port = args.metrics_bind
        start_http_server(port, addr=host)
        print(f"scheduler metrics on http://{host}:{port}/metrics", file=sys.stderr)
    Scheduler(database, timetable, zone, max_workers=args.workers).run_forever()
    return 0


# ---- scenarios ------------------------------------------------------------------------
def cmd_scenarios_test(args, config) -> int:
    """Replay API scenarios against the app on a scratch database (never the configured one by default)."""
    import secrets
    import tempfile

    from repository.migrate import upgrade

    from .app import create_app
    from .config import SYSTEMS
    from .database import get_db
    from .decisions.service import get_rules
    from .scenarios import format_results, load_scenarios, run_scenario

    path = args.path or str(Path(config["OCMS_FIXTURES_DIR"]) / "scenarios")
    scenarios, errors = load_scenarios(path)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/scenarios.db"
        upgrade(url)
        app = create_app({**config, "OCMS_DATABASE_URL": url, "OCMS_RULES_CHECK_INTERVAL": 0,
                          "OCMS_API_KEYS": {s: secrets.token_hex(8) for s in SYSTEMS},
                          "OCMS_JWT_SECRET": secrets.token_hex(32)})
        try:
            results = [run_scenario(app, sc) for sc in scenarios]
        finally:
            get_rules(app).close()
            get_db(app).engine.dispose()
    print(format_results(results, errors, verbose=not args.quiet))
    return 0 if not errors and all(r.passed for r in results) else 1


# ---- parser ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ocms", description="OCMS decision service")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the API under gunicorn (or the flask dev server with --dev)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--timeout", type=int, default=30, help="gunicorn worker timeout, seconds")
    s.add_argument("--threads", type=int, default=4, help="threads per worker (gthread workers)")
    s.add_argument("--body-timeout", type=float, default=10.0,
                   help="seconds a request body may take to arrive once its headers are in (408 after)")
    s.add_argument("--header-timeout", type=float, default=10.0,
                   help="seconds a request line and headers may take to arrive in all (408, connection closed, after)")
    s.add_argument("--keep-alive", type=int, default=2,
                   help="seconds an idle connection (new, or between requests) is kept open")
    s.add_argument("--dev", action="store_true", help="flask development server (debugging only)")
    s.add_argument("--metrics-bind", metavar="HOST:PORT",
                   help="also listen there, serving only /metrics (no credentials) and /health (default $OCMS_METRICS_BIND)")
    s.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema and seed data").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="migrate the database to the newest schema").set_defaults(func=cmd_db_upgrade)
    seed = db.add_parser("seed", help="insert reference data (and demo data with --demo)")
    seed.add_argument("--demo", action="store_true", help="also a reproducible demo data set")
    seed.add_argument("--notices", type=int, default=3000,
                      help="generated demo notices (with --demo), besides the README's showcase notices")
    seed.set_defaults(func=cmd_db_seed)

    rules = sub.add_parser("rules", help="check, test and explain rulesets").add_subparsers(
        dest="rules_command", required=True)
    c = rules.add_parser("check", help="validate a rules directory; every error as file:line:col with a hint")
    c.add_argument("path", nargs="?", help="rules directory (default $OCMS_RULES_DIR)")
    c.set_defaults(func=cmd_rules_check)
    t = rules.add_parser("test", help="replay the fixtures against the rules")
    t.add_argument("path", nargs="?", help="fixtures root, one ruleset's fixture folder, or one fixture file (default $OCMS_FIXTURES_DIR)")
    t.add_argument("--rules", help="rules directory (default $OCMS_RULES_DIR)")
    t.add_argument("--coverage", action="store_true", help="list how often each rule fired; flag rules never fired")
    t.add_argument("--quiet", action="store_true", help="print failing cases only (and the summary)")
    t.add_argument("--min-coverage", type=_percent, metavar="PCT",
                   help="fail (exit 1) when a ruleset's value coverage is below PCT percent (0-100); implies --coverage")
    t.add_argument("--junit-xml", metavar="PATH", help="also write the run as JUnit XML (one test case per fixture case)")
    t.set_defaults(func=cmd_rules_test)
    x = rules.add_parser("explain", help="decide one set of facts and print the decision with its trace")
    x.add_argument("ruleset")
    x.add_argument("--facts", required=True, help="a JSON object, or a JSON/YAML file")
    x.add_argument("--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                   help="override a ruleset parameter (repeatable)")
    x.add_argument("--rules", help="rules directory (default $OCMS_RULES_DIR)")
    x.set_defaults(func=cmd_rules_explain)
    d = rules.add_parser("diff", help="which decisions a candidate rules directory would change (fixtures, decision log)")
    d.add_argument("candidate", help="the candidate rules directory")
    d.add_argument("--against", action="append", choices=("fixtures", "decision-log"),
                   help="what to decide again (repeatable; default both)")
    d.add_argument("--since", type=_date, help="logged decisions from this date (YYYY-MM-DD, included)")
    d.add_argument("--until", type=_date, help="logged decisions before this date (excluded)")
    d.add_argument("--ruleset", help="only this ruleset")
    d.add_argument("--baseline", help="compare with this rules directory instead of the published version")
    d.add_argument("--limit", type=int, default=50, help="changed decisions listed per source (counts are complete)")
    d.add_argument("--json", metavar="FILE", help="also write the whole report as JSON")
    d.set_defaults(func=cmd_rules_diff)
    rp = rules.add_parser("replay", help="re-decide logged decisions under their own version and under today's")
    rp.add_argument("--id", type=int, action="append", default=[], help="decision-log id (repeatable)")
    rp.add_argument("--subject", help="every decision of this notice number")
    rp.add_argument("--ruleset", help="only this ruleset")
    rp.add_argument("--limit", type=int, default=50, help="at most this many decisions (newest first)")
    rp.add_argument("--json", action="store_true", help="print JSON")
    rp.set_defaults(func=cmd_rules_replay)

    jobs = sub.add_parser("jobs", help="batch jobs").add_subparsers(dest="jobs_command", required=True)
    jobs.add_parser("list", help="list the registered jobs").set_defaults(func=cmd_jobs_list)
    r = jobs.add_parser("run", help="run a job once, recorded in ocms_batch_job_run")
    r.add_argument("name")
    r.add_argument("--key", help="run key (default: today's date); a key that succeeded is not re-run")
    r.add_argument("--force", action="store_true", help="run even if this key already succeeded")
    r.set_defaults(func=cmd_jobs_run)

    sch = sub.add_parser("scheduler", help="run every job of the timetable at its times (any number of machines)")
    sch.add_argument("--timetable", help="timetable file (default $OCMS_TIMETABLE, else timetable.yaml)")
    sch.add_argument("--check", action="store_true", help="validate the timetable, print next runs and due keys, exit")
    sch.add_argument("--metrics-bind", type=_bind, metavar="HOST:PORT",
                     help="serve the scheduler's Prometheus metrics there (open: bind it to a protected address)")
    sch.add_argument("--workers", type=int, default=4, help="jobs that may run at once in this scheduler")
    sch.set_defaults(func=cmd_scheduler)

    sc = sub.add_parser("scenarios", help="API scenarios").add_subparsers(dest="scenarios_command", required=True)
    st = sc.add_parser("test", help="replay API scenarios (given rows, a request, expected answer and rows)")
    st.add_argument("path", nargs="?", help="scenarios directory (default $OCMS_FIXTURES_DIR/scenarios)")
    st.add_argument("--database-url", help="database to use; its OCMS tables are emptied (default: a scratch SQLite file)")
    st.add_argument("--quiet", action="store_true", help="print failing scenarios only (and the summary)")
    st.set_defaults(func=cmd_scenarios_test)

    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ocms`` console script."""
    args = build_parser().parse_args(argv)
    from repository.business_time import UnknownZoneError, set_zone
    try:
        config = load_config()
        set_zone(config["OCMS_TIMEZONE"])  # jobs' run keys, stamps and windows are business dates
    except (ConfigError, UnknownZoneError) as e:   # a bad setting: one line saying which, no traceback
        print(f"ocms: configuration error: {e}", file=sys.stderr)
        return 2
    return args.func(args, config)


if __name__ == "__main__":
    sys.exit(main())
