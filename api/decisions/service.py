"""The rules in service in this process: the published version, followed by every worker.

One version in service (issue 9 item 6):

* A rules version is **published** by content: every file of the bundle is
  stored in the database (``ocms_rules_blob`` / ``ocms_rules_bundle_file``) with
  a row of ``ocms_rules_version`` (generation, bundle hash, who, when, from
  where); ``ocms_rules_state`` names the generation in service.
* A worker that starts (or restarts after a crash) loads the **published**
  version from the database, never the files on disk at that moment. Only the
  first start on an empty database publishes what is on disk, after validating it.
* ``POST /v1/admin/rules/reload`` reads ``OCMS_RULES_DIR`` once, validates and
  compiles exactly those bytes, publishes them as a new generation, swaps them
  in here, and waits until every live worker serves it (200) — or answers 202
  with the generation to wait for (``GET /v1/admin/rules/generations/<n>``).
* Each worker runs a follower thread (:meth:`RulesService.start_following`,
  started by ``ocms serve``) that, every ``OCMS_RULES_CHECK_INTERVAL`` seconds,
  reads the pointer, follows a new generation or shadow without waiting for a
  request, and writes its heartbeat row (``ocms_rules_worker``: the generation
  and shadow it serves). Workers whose heartbeat is older than
  ``OCMS_RULES_HEARTBEAT_TIMEOUT`` are dead and not waited for; a worker whose
  own heartbeat is that old checks the pointer before serving a request.
* The last refused reload is stored in ``ocms_rules_state.last_rejected``, so
  ``GET /v1/rulesets`` shows the same ``lastRejected`` from every worker.

Shadow mode (issue 15): a shadow run's candidate rules are loaded beside the
rules in service; :class:`ServedRules` (what use cases get as
``get_rules().registry``) decides every live call with the rules in service
and then with the shadow (:mod:`api.decisions.shadow`), never applying the
shadow's answer.
"""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import socket
import secrets
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from api import metrics
from api.database import Database
from api.web.errors import ApiError, rules_error_items
from engine import RuleRegistry, RulesError, RulesLoadError

from .required import missing_rulesets
from engine.bundle import Bundle, BundleError, read_directory, relocate_errors, write_snapshot
from repository.queries import rules_versions as rv

from .instrumented import InstrumentedRuleRegistry, business_zone_name
from .vocabulary import VOCABULARY

log = logging.getLogger(__name__)
EXTENSION = "ocms.rules"


def _first_line(e: BaseException) -> str:
    text = str(e)
    return text.splitlines()[0] if text else type(e).__name__


def ruleset_meta(registry: RuleRegistry) -> tuple[dict, dict]:
    """``({file name: {ruleset, version, hash}}, {ruleset: {version, hash, file}})`` of a loaded registry."""
    by_file, by_name = {}, {}
    for rs in registry.rulesets():
        name = Path(rs.file).name
        by_file[name] = {"ruleset": rs.name, "version": rs.version, "hash": rs.hash}
        by_name[rs.name] = {"version": rs.version, "hash": rs.hash, "file": name}
    return by_file, by_name


class ServedRules:
    """The registry use cases call: the rules in service, plus the shadow run if one is on.

    ``evaluate`` / ``evaluate_many`` take and return what
    :meth:`engine.RuleRegistry.evaluate_many` does; every other attribute is
    the registry's own. Explain calls (dry runs) are not shadowed.
    """

    def __init__(self, service: "RulesService"):
        self._service = service

    def evaluate(self, name: str, facts: dict, explain: bool = False, parameters: dict | None = None,
                 use_cache: bool = True):
        return self.evaluate_many(name, [facts], explain=explain, parameters=parameters, use_cache=use_cache)[0]

    def evaluate_many(self, name: str, facts_list: list[dict], explain: bool = False, parameters: dict | None = None,
                      use_cache: bool = True):
        registry = self._service.in_service
        decisions = registry.evaluate_many(name, facts_list, explain=explain, parameters=parameters, use_cache=use_cache)
        if parameters:
            for d in decisions:  # recorded in the decision log, so a replay decides with the same switches
                d.parameters = dict(parameters)
        shadow = self._service.shadow
        if shadow is not None and not explain:
            shadow.observe(name, facts_list, parameters, decisions)
        return decisions

    def __getattr__(self, attr):
        return getattr(self._service.in_service, attr)


class RulesService:
    """One process's rules: the published generation it serves, its heartbeat, its shadow."""

    def __init__(self, directory: str | Path, database: Database, check_interval: float = 1.0, *,
                 reload_wait: float = 10.0, heartbeat_timeout: float = 5.0, timezone: str | None = None,
                 serving: bool = True):
        """``serving`` False: a process that decides but serves no requests (a batch job) writes no heartbeat."""
        self.directory = str(directory)
        self.serving = serving
        self.database = database
        self.check_interval = check_interval
        self.reload_wait = reload_wait
        self.heartbeat_timeout = heartbeat_timeout
        self.timezone = timezone
        self.load_error: RulesLoadError | None = None
        self._registry: RuleRegistry | None = None
        self._served = ServedRules(self)
        self._lock = threading.RLock()
        self._sync_lock = threading.RLock()
        self._next_check = 0.0
        self._next_boot = 0.0
        # what this worker serves
        self.generation: int | None = None
        self.bundle_hash: str | None = None
        self.loaded_at: str | None = None
        self.follow_error: str | None = None
        self.shadow = None  # api.decisions.shadow.Shadow, when a shadow run is on
        self.shadow_id: int | None = None
        # counters for metrics (status())
        self.reloads = {"ok": 0, "refused": 0}
        self.last_reload_ok: bool | None = None
        self.last_reload_at: str | None = None
        # heartbeat
        self.worker_id = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.started_at = datetime.now()
        self._last_beat = 0.0  # monotonic time of the last heartbeat written
        self._follower: threading.Thread | None = None
        self._stop = threading.Event()
        self._snapshots = Path(tempfile.mkdtemp(prefix="ocms-rules-"))

    # ---- what is served ---------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._registry is not None

    def _registry_kwargs(self) -> dict:
        """Datetime facts with an offset are read in the business zone (OCMS_TIMEZONE), in every registry."""
        return {"timezone": self.timezone or business_zone_name()}

    def new_registry(self, directory: Path) -> RuleRegistry:
        """A registry of its own (never in service) for a rules directory, with the application's actions."""
        return RuleRegistry(directory, actions=VOCABULARY, **self._registry_kwargs())

    def serving_registry(self, directory: Path) -> RuleRegistry:
        """The registry this worker serves from: counted in the metrics (api/decisions/instrumented.py)."""
        return InstrumentedRuleRegistry(directory, actions=VOCABULARY, **self._registry_kwargs())

    @property
    def snapshots(self) -> Path:
        """This process's folder of content-addressed snapshots (bundles written out to be compiled)."""
        return self._snapshots

    def ensure_loaded(self) -> RuleRegistry | None:
        """Load the published version if not yet loaded; None (and ``load_error``) if that failed.

        A failed start is retried at most once per check interval.
        """
        if self._registry is None:
            booted = False
            with self._sync_lock, self._lock:  # the same order as sync() and reload(): no deadlock
                if self._registry is None and time.monotonic() >= self._next_boot:
                    self._next_boot = time.monotonic() + max(self.check_interval, 0.2)
                    try:
                        self._boot()
                        booted = True
                    except RulesLoadError as e:
                        self.load_error = e
                        metrics.rules_loaded(False)
                        log.error("rules not loaded: %s", e)
                    except Exception as e:  # database down or not migrated
                        if not isinstance(e, (OperationalError, IntegrityError)):
                            log.debug("rules start failed", exc_info=True)
                        self.load_error = RulesLoadError([RulesError(
                            "database", 1, 1, "not_published",
                            f"cannot read the published rules: {_first_line(e)}",
                            "the rules in service come from the database: check OCMS_DATABASE_URL and 'ocms db upgrade'")])
                        log.error("rules not loaded: cannot read the published version (%s)", _first_line(e))
            if booted:  # a publication between our read and our heartbeat would not wait for us: look again
                self.sync(force=True)
        return self._registry

    @property
    def in_service(self) -> RuleRegistry:
        """The RuleRegistry in service (no shadow); OCMS-5003 / 503 if the rules could not be loaded."""
        reg = self.ensure_loaded()
        if reg is None:
            errors = self.load_error.errors if self.load_error else []
            raise ApiError(503, "Rules not loaded", [{"field": i["field"], "message": i["message"]}
                                                      for i in rules_error_items(errors)])
        return reg

    @property
    def registry(self) -> ServedRules:
        """What use cases decide with: the rules in service (and the shadow run, if on); 503 if not loaded."""
        self.in_service
        return self._served

    # ---- loading published versions ---------------------------------------------------
    def _snapshot(self, bundle: Bundle) -> Path:
        return write_snapshot(bundle, self._snapshots)

    def validate(self, bundle: Bundle, shown_as: str, serving: bool = False) -> tuple[Path, RuleRegistry]:
        """Compile a bundle into a separate registry; RulesLoadError naming ``shown_as/<file>``.

        ``serving``: the registry may go into service (it is then the
        instrumented kind whose decisions show in the metrics). The caller
        closes the returned registry.
        """
        snapshot = self._snapshot(bundle)
        try:
            return snapshot, (self.serving_registry(snapshot) if serving else self.new_registry(snapshot))
        except RulesLoadError as e:
            raise RulesLoadError(relocate_errors(e.errors, snapshot, shown_as)) from None

    def load_bundle(self, bundle_hash: str) -> Bundle:
        """A stored bundle from the database, checked against its hash."""
        with self.database.session() as s:
            files = rv.bundle_files(s, bundle_hash)
        bundle = Bundle(files, source=f"bundle {bundle_hash[:12]}")
        if bundle.hash != bundle_hash:
            raise RulesLoadError([RulesError("database", 1, 1, "corrupt_bundle",
                                             f"stored bundle {bundle_hash[:12]} does not hash to its name "
                                             f"({len(files)} file(s), hash {bundle.hash[:12]})")])
        return bundle

    def _publish(self, bundle: Bundle, registry: RuleRegistry, published_by: str | None, source: str,
                 only_if_empty: bool = False) -> tuple[int, bool]:
        """Store and publish a validated bundle; ``(generation in service, published now)``."""
        by_file, by_name = ruleset_meta(registry)
        for attempt in range(3):
            try:
                with self.database.unit_of_work() as uow:
                    rv.store_bundle(uow.session, bundle.hash, bundle.files, bundle.file_hashes(), by_file)
                    got = rv.publish_version(uow.session, bundle.hash, published_by=published_by, source=source,
                                             rulesets=by_name, only_if_empty=only_if_empty)
                    uow.commit()
                    return got
            except (IntegrityError, OperationalError) as e:  # another worker published at the same moment
                if attempt == 2:
                    raise
                log.info("publishing raced with another worker (%s); retrying", _first_line(e))
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _record_rejection(self, errors: list[RulesError], by: str | None, directory: str) -> None:
        payload = {"at": datetime.now().isoformat(timespec="seconds"), "by": by, "directory": directory,
                   "errors": [e.to_dict() for e in errors]}
        try:
            with self.database.unit_of_work() as uow:
                rv.record_rejection(uow.session, payload)
                uow.commit()
        except Exception as e:  # the refusal itself stands; only its record is missing
            log.warning("refused reload not recorded in ocms_rules_state (%s)", _first_line(e))

    def _boot(self) -> None:
        """Load the published version (publishing the configured directory first on an empty database)."""
        with self.database.session() as s:
            pointer = rv.read_pointer(s)
        registry = None
        if pointer is None:
            try:
                bundle = read_directory(self.directory)
            except BundleError as e:
                raise RulesLoadError(e.errors) from None
            try:
                snapshot, candidate = self.validate(bundle, self.directory, serving=True)
            except RulesLoadError as e:
                self._record_rejection(e.errors, "initial", self.directory)
                raise
            try:
                generation, published = self._publish(bundle, candidate, "initial", self.directory, only_if_empty=True)
                with self.database.session() as s:
                    pointer = rv.read_pointer(s)
            except BaseException:
                candidate.close()
                raise
            if published:
                log.info("first start on an empty database: published %s as generation %s (hash %s)",
                         self.directory, generation, bundle.hash[:12])
            if pointer is not None and pointer[1] == bundle.hash:
                registry = candidate  # exactly the published content, compiled already
            else:
                candidate.close()
        generation, bundle_hash, shadow_id = pointer
        if registry is None:
            bundle = self.load_bundle(bundle_hash)
            registry = self.serving_registry(self._snapshot(bundle))
        self._registry = registry
        self.generation, self.bundle_hash = generation, bundle_hash
        self.loaded_at = datetime.now().isoformat(timespec="seconds")
        self.load_error = None
        metrics.rules_loaded(True, generation)
        log.info("rules loaded from the published generation %s (hash %s)", generation, bundle_hash[:12])
        self._follow_shadow(shadow_id)
        self._beat()

    def _swap_to(self, generation: int, bundle_hash: str) -> bool:
        """Serve a published generation here; True if the rules changed."""
        with self._lock:
            if self.generation is not None and generation <= self.generation:
                return False  # generations only grow: an older pointer is a read that raced a newer one
            if bundle_hash == self.bundle_hash:
                self.generation = generation  # the same content republished (e.g. a rollback to it)
                metrics.rules_generation(generation)
                return False
            bundle = self.load_bundle(bundle_hash)
            changed = self._registry.reload(self._snapshot(bundle))
            self.generation, self.bundle_hash = generation, bundle_hash
            self.loaded_at = datetime.now().isoformat(timespec="seconds")
            self.follow_error = None
            metrics.rules_loaded(True, generation)
            log.info("rules generation %s in service (hash %s)", generation, bundle_hash[:12])
            return changed

    def _follow_shadow(self, shadow_id: int | None) -> None:
        """Start or stop the shadow run so this worker runs ``shadow_id`` (None: no shadow)."""
        if shadow_id == self.shadow_id:
            return
        from .shadow import Shadow
        with self._lock:
            old = self.shadow
            new = None
            if shadow_id is not None:
                with self.database.session() as s:
                    row = rv.get_shadow(s, shadow_id)
                    bundle_hash = row.bundle_hash if row is not None else None
                if bundle_hash is not None:
                    bundle = self.load_bundle(bundle_hash)
                    new = Shadow(shadow_id, self.new_registry(self._snapshot(bundle)), bundle_hash)
            self.shadow, self.shadow_id = new, shadow_id
            if old is not None:
                self._flush_shadow(old)
                old.close()
            log.info("shadow run %s %s", shadow_id if shadow_id is not None else old.shadow_id,
                     "on" if new is not None else "off")

    def _flush_shadow(self, shadow=None) -> None:
        shadow = shadow or self.shadow
        if shadow is None:
            return
        counts, diffs = shadow.drain()
        if not counts:
            return
        try:
            with self.database.unit_of_work() as uow:
                rv.add_shadow_results(uow.session, shadow.shadow_id, counts, diffs)
                uow.commit()
        except Exception as e:
            shadow.give_back(counts, diffs)
            log.warning("shadow results not written yet (%s); kept for the next try", _first_line(e))

    # ---- heartbeat and following ---------------------------------------------------------
    def _beat_due(self) -> bool:
        """A heartbeat is due if what we serve changed since the last one, or the last is a fifth of the timeout old."""
        served = (self.generation, self.shadow_id, self.follow_error)
        if served != getattr(self, "_beaten", None):
            return True
        return time.monotonic() - self._last_beat >= self.heartbeat_timeout / 5

    def _beat(self) -> None:
        if not self.serving:
            return
        self._beaten = (self.generation, self.shadow_id, self.follow_error)
        with self.database.unit_of_work() as uow:
            rv.beat(uow.session, self.worker_id, host=self.worker_id.rsplit(":", 2)[0], pid=os.getpid(),
                    generation=self.generation, bundle_hash=self.bundle_hash, shadow_id=self.shadow_id,
                    error=self.follow_error, started_at=self.started_at)
            uow.commit()
        self._last_beat = time.monotonic()

    def sync(self, force: bool = False) -> bool:
        """Follow the published generation and shadow run; write the heartbeat; True if the rules changed.

        Throttled to once per ``check_interval`` unless ``force``. A database
        that cannot be read leaves the rules in service as they are.
        """
        now = time.monotonic()
        if not force and now < self._next_check:
            return False
        self._next_check = now + self.check_interval
        if self._registry is None:
            self.ensure_loaded()
            return False
        with self._sync_lock:  # one check at a time: a slow stale read never undoes a newer one
            return self._sync()

    def _sync(self) -> bool:
        changed = False
        try:
            with self.database.session() as s:
                pointer = rv.read_pointer(s)
            if pointer is not None:
                generation, bundle_hash, shadow_id = pointer
                try:
                    changed = self._swap_to(generation, bundle_hash)
                except RulesLoadError as e:
                    metrics.rules_loaded(False)
                    self.follow_error = (f"generation {generation} not taken: "
                                         + "; ".join(x.message for x in e.errors)[:1000])
                    log.error("rules generation %s not taken: %s; keeping generation %s", generation, e,
                              self.generation)
                try:
                    self._follow_shadow(shadow_id)
                except RulesLoadError as e:
                    log.error("shadow run %s not started here: %s", shadow_id, e)
            self._flush_shadow()
            if changed or self._beat_due():
                self._beat()
        except Exception as e:
            log.warning("cannot follow the published rules (%s); keeping generation %s", _first_line(e),
                        self.generation)
        return changed

    def before_request(self) -> None:
        """Before each request: follow reloads (throttled), or, with a follower thread, only if its heartbeat is old."""
        if self._follower is not None and self._follower.is_alive():
            if time.monotonic() - self._last_beat > self.heartbeat_timeout / 2:
                self.sync(force=True)
        else:
            self.sync()

    def start_following(self) -> None:
        """Start this worker's follower thread (``ocms serve`` does, after the fork)."""
        if self._follower is not None and self._follower.is_alive():
            return
        self._stop.clear()
        interval = max(self.check_interval, 0.05)

        def loop():
            while not self._stop.wait(interval):
                if self._registry is None:
                    self.ensure_loaded()
                else:
                    self.sync(force=True)

        self._follower = threading.Thread(target=loop, name="ocms-rules-follower", daemon=True)
        self._follower.start()
        atexit.register(self.close)

    # ---- reload (admin) --------------------------------------------------------------------
    def reload(self, updated_by: str | None = None, generation: int | None = None) -> dict:
        """Publish the configured directory (or republish ``generation``), swap it in, wait for every worker.

        Raises RulesLoadError with every error (nothing published, the rules in
        service untouched; the refusal is recorded for every worker). Returns
        ``{"changed", "generation", "complete", "workers", ...status}``:
        ``complete`` is False if some live worker did not serve the new
        generation within ``OCMS_RULES_RELOAD_WAIT`` seconds.
        """
        self.in_service  # 503 if this worker has no rules at all
        with self._sync_lock, self._lock:
            if generation is not None:
                with self.database.session() as s:
                    row = rv.get_version(s, generation)
                    if row is None:
                        raise ApiError(404, f"no published generation {generation}",
                                       [{"field": "generation", "message": f"no published generation {generation}"}])
                    bundle_hash, origin = row.bundle_hash, row.source
                bundle = self.load_bundle(bundle_hash)
                source, shown = f"generation {generation} ({origin or 'unknown source'})", f"generation-{generation}"
            else:
                try:
                    bundle = read_directory(self.directory)
                except BundleError as e:
                    self._refused(e.errors, updated_by)
                    raise RulesLoadError(e.errors) from None
                source = shown = self.directory
            if bundle.hash == self.bundle_hash and generation is None:
                changed, new_generation = False, self.generation
                with self.database.session() as s:
                    pointer = rv.read_pointer(s)
                if pointer is not None and pointer[1] != bundle.hash:  # another worker published other content
                    changed, new_generation = self._publish_validated(bundle, shown, updated_by, source)
            else:
                changed, new_generation = self._publish_validated(bundle, shown, updated_by, source)
        complete, workers = self.wait_for(generation=new_generation, timeout=self.reload_wait)
        return {"changed": changed, "generation": new_generation, "complete": complete, "workers": workers,
                **self.status_view()}

    def _publish_validated(self, bundle: Bundle, shown: str, updated_by: str | None, source: str) -> tuple[bool, int]:
        try:
            _, candidate = self.validate(bundle, shown)
        except RulesLoadError as e:
            self._refused(e.errors, updated_by, shown)
            raise
        missing = missing_rulesets(set(candidate.names()), shown)
        if missing:  # the code evaluates these: such a version would fail requests after a "successful" reload
            candidate.close()
            self._refused(missing, updated_by, shown)
            raise RulesLoadError(missing)
        try:
            new_generation, published = self._publish(bundle, candidate, updated_by, source)
        finally:
            candidate.close()
        changed = self._swap_to(new_generation, bundle.hash)
        self.reloads["ok"] += 1
        self.last_reload_ok, self.last_reload_at = True, datetime.now().isoformat(timespec="seconds")
        self._beat()
        return bool(changed or published), new_generation

    def _refused(self, errors: list[RulesError], by: str | None, shown: str | None = None) -> None:
        metrics.rules_loaded(False)
        self.reloads["refused"] += 1
        self.last_reload_ok, self.last_reload_at = False, datetime.now().isoformat(timespec="seconds")
        log.warning("rules reload by %s refused, %d error(s); keeping generation %s:\n%s", by, len(errors),
                    self.generation, "\n".join(map(str, errors)))
        self._record_rejection(errors, by, shown or self.directory)

    def wait_for(self, *, generation: int | None = None, shadow: Any = ..., timeout: float = 0.0) -> tuple[bool, list]:
        """Wait until every live worker serves ``generation`` (or later) and/or runs ``shadow`` (an id or None).

        Returns ``(complete, workers)``; ``workers`` describes each live
        worker (``id, host, pid, generation, shadowId, seenAt, error, current``).
        """
        deadline = time.monotonic() + timeout
        while True:
            with self.database.session() as s:
                rows = rv.live_workers(s, self.heartbeat_timeout)
                workers = []
                for w in rows:
                    current = True
                    if generation is not None and (w.generation or 0) < generation:
                        current = False
                    if shadow is not ... and w.shadow_id != shadow:
                        current = False
                    workers.append({"id": w.worker_id, "host": w.host, "pid": w.pid, "generation": w.generation,
                                    "shadowId": w.shadow_id, "seenAt": w.seen_at.isoformat(timespec="milliseconds"),
                                    "error": w.error, "current": current})
            complete = all(w["current"] for w in workers)
            if complete or time.monotonic() >= deadline:
                return complete, workers
            time.sleep(0.05)

    # ---- shadow (admin) ---------------------------------------------------------------------
    def start_shadow(self, bundle: Bundle, shown: str, started_by: str | None) -> dict:
        """Validate a candidate bundle and run it as the shadow in every worker; RulesLoadError if invalid."""
        self.in_service
        _, candidate = self.validate(bundle, shown)
        try:
            by_file, by_name = ruleset_meta(candidate)
        finally:
            candidate.close()
        with self._sync_lock:  # no check in flight may undo the switch with an older read
            with self.database.unit_of_work() as uow:
                rv.store_bundle(uow.session, bundle.hash, bundle.files, bundle.file_hashes(), by_file)
                shadow_id = rv.start_shadow(uow.session, bundle.hash, source=bundle.source or shown, rulesets=by_name,
                                            started_by=started_by)
                uow.commit()
            self._follow_shadow(shadow_id)
            self._beat()
        complete, workers = self.wait_for(shadow=shadow_id, timeout=self.reload_wait)
        return {"shadowId": shadow_id, "complete": complete, "workers": workers}

    def stop_shadow(self, stopped_by: str | None) -> dict:
        """Turn the shadow run off in every worker."""
        self.in_service
        with self._sync_lock:
            with self.database.unit_of_work() as uow:
                shadow_id = rv.stop_shadow(uow.session, stopped_by)
                uow.commit()
            self._follow_shadow(None)
            self._beat()
        complete, workers = self.wait_for(shadow=None, timeout=self.reload_wait)
        return {"shadowId": shadow_id, "complete": complete, "workers": workers}

    def flush_shadow(self) -> None:
        """Write this worker's pending shadow results now (the follower does it every interval)."""
        self._flush_shadow()

    # ---- what the endpoints and metrics show ---------------------------------------------------
    def status_view(self) -> dict:
        """``GET /v1/rulesets``: the version this worker serves, the published one and the last refused reload."""
        reg = self.in_service
        with self.database.session() as s:
            state = rv.get_state(s)
            version = rv.get_version(s, state.generation) if state is not None and state.generation else None
            published = {
                "generation": version.generation, "hash": version.bundle_hash,
                "publishedAt": version.published_at.isoformat(), "publishedBy": version.published_by,
                "source": version.source,
            } if version is not None else None
            rejected = state.last_rejected if state is not None else None
            mine = rv.get_version(s, self.generation) if self.generation else None
            shadow = rv.get_shadow(s, state.shadow_id) if state is not None and state.shadow_id else None
            shadow_view = {"id": shadow.id, "hash": shadow.bundle_hash, "startedAt": shadow.started_at.isoformat(),
                           "startedBy": shadow.started_by, "source": shadow.source} if shadow is not None else None
            active = {
                "generation": self.generation, "hash": self.bundle_hash, "loadedAt": self.loaded_at,
                "directory": mine.source if mine is not None else None,
                "publishedAt": mine.published_at.isoformat() if mine is not None else None,
                "publishedBy": mine.published_by if mine is not None else None,
                "rulesets": {rs.name: {"version": rs.version, "hash": rs.hash} for rs in reg.rulesets()},
            }
        return {"active": active, "published": published, "lastRejected": rejected, "shadow": shadow_view}

    def status(self) -> dict:
        """For metrics: generation served, last reload outcome, cache and shadow counters of this worker."""
        reg = self._registry
        return {
            "loaded": reg is not None, "generation": self.generation, "hash": self.bundle_hash,
            "loadedAt": self.loaded_at, "lastReloadSuccess": self.last_reload_ok, "lastReloadAt": self.last_reload_at,
            "reloads": dict(self.reloads), "followError": self.follow_error, "shadowId": self.shadow_id,
            "shadow": self.shadow.stats() if self.shadow is not None else None,
            "cache": reg.cache_stats() if reg is not None else {},
        }

    def close(self) -> None:
        """Stop following, forget the heartbeat, free the engine handles (tests, shutdown)."""
        self._stop.set()
        follower, self._follower = self._follower, None
        if follower is not None and follower is not threading.current_thread():
            follower.join(timeout=5)
        with self._lock:
            if self.shadow is not None:
                try:
                    self._flush_shadow()
                except Exception:  # shutting down: nothing more to do with them
                    pass
                self.shadow.close()
                self.shadow = None
            if self._registry is not None:
                try:
                    with self.database.unit_of_work() as uow:
                        rv.forget_worker(uow.session, self.worker_id)
                        uow.commit()
                except Exception:
                    pass
                self._registry.close()
                self._registry = None
        shutil.rmtree(self._snapshots, ignore_errors=True)


def published_registry(session, directory: str | None = None) -> RuleRegistry:
    """The rules version in service, compiled for a batch job (``ocms jobs run``, the scheduler) -> RuleRegistry.

    Jobs decide with the published version, as workers do — never with the
    files on disk at that moment (issue 9 item 6). On an empty database the
    directory (default ``OCMS_RULES_DIR``) is validated and published first,
    like a worker's first start. Reads through its own sessions on the engine
    of ``session``. Raises RulesLoadError if no rules can be loaded; the
    caller closes the registry.
    """
    from api.config import load_config
    from repository.db import make_session_factory
    bind = session.get_bind()
    service = RulesService(directory or load_config()["OCMS_RULES_DIR"], Database(bind, make_session_factory(bind)),
                           serving=False)
    try:
        registry = service.ensure_loaded()
        if registry is None:
            raise service.load_error
        service._registry = None  # handed over to the caller: close() below must not free it
        return registry
    finally:
        service.close()


def init_rules(app: Flask, database: Database) -> RulesService:
    """Attach a (not yet loaded) RulesService to ``app`` and the before-request check."""
    cfg = app.config
    service = RulesService(cfg["OCMS_RULES_DIR"], database, cfg["OCMS_RULES_CHECK_INTERVAL"],
                           reload_wait=cfg.get("OCMS_RULES_RELOAD_WAIT", 10.0),
                           heartbeat_timeout=cfg.get("OCMS_RULES_HEARTBEAT_TIMEOUT", 5.0),
                           timezone=cfg.get("OCMS_TIMEZONE"))
    app.extensions[EXTENSION] = service

    @app.before_request
    def _follow_reloads():
        service.before_request()

    return service


def get_rules(app: Flask | None = None) -> RulesService:
    """The RulesService of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]
