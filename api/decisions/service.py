"""The rules in service in this process, and their propagation to every worker.

Each process (gunicorn worker) owns one :class:`engine.RuleRegistry`, loaded
lazily on first use so nothing touches durable_rules before the fork.

A successful reload (``POST /v1/admin/rules/reload``) bumps the shared row
``ocms_rules_state`` (dir_hash, generation). Before each request every worker,
at most once per ``OCMS_RULES_CHECK_INTERVAL`` seconds, reads that row and
reloads from its configured directory when the generation moved and the
hash differs from its own. A failed reload there keeps the old rules; it is
logged and recorded as the registry's ``last_rejected``.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import Flask, current_app

from api import metrics
from api.database import Database
from api.web.errors import ApiError, rules_error_items
from engine import RuleRegistry, RulesLoadError
from repository.queries import bump_rules_state, get_rules_state

from .instrumented import InstrumentedRuleRegistry, business_zone_name
from .vocabulary import VOCABULARY

log = logging.getLogger(__name__)
EXTENSION = "ocms.rules"


class RulesService:
    """One process's registry, its lazy load and its cross-worker synchronisation."""

    def __init__(self, directory: str | Path, database: Database, check_interval: float = 1.0):
        self.directory = str(directory)
        self.database = database
        self.check_interval = check_interval
        self.load_error: RulesLoadError | None = None
        self._registry: RuleRegistry | None = None
        self._lock = threading.RLock()
        self._seen_generation: int | None = None
        self._next_check = 0.0

    # ---- the registry ---------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._registry is not None

    def ensure_loaded(self) -> RuleRegistry | None:
        """Load the configured directory if not yet loaded; None (and ``load_error``) if it is broken."""
        if self._registry is None:
            with self._lock:
                if self._registry is None:
                    try:
                        self._registry = InstrumentedRuleRegistry(self.directory, actions=VOCABULARY,
                                                                  timezone=business_zone_name())
                        self.load_error = None
                        metrics.rules_loaded(True, self._seen_generation or self._registry.generation)
                        log.info("rules loaded from %s (hash %s)", self.directory, self._registry.dir_hash)
                    except RulesLoadError as e:
                        self.load_error = e
                        metrics.rules_loaded(False)
                        log.error("rules in %s not loaded: %s", self.directory, e)
        return self._registry

    @property
    def registry(self) -> RuleRegistry:
        """The registry in service; OCMS-5003 / 503 if the rules could not be loaded."""
        reg = self.ensure_loaded()
        if reg is None:
            raise ApiError(503, "Rules not loaded", [{"field": i["field"], "message": i["message"]}
                                                      for i in rules_error_items(self.load_error.errors)])
        return reg

    # ---- reload from the admin endpoint ---------------------------------------
    def reload(self, updated_by: str | None = None) -> dict:
        """Validate and swap in the configured directory, then signal every worker.

        Raises RulesLoadError (the rules in service are untouched). Returns
        ``{"changed", "generation", **registry.status()}``.
        """
        with self._lock:
            if self._registry is None:
                reg = self.ensure_loaded()
                if reg is None:
                    raise self.load_error
                changed = True
            else:
                try:
                    changed = self._registry.reload(self.directory)
                except RulesLoadError as e:
                    metrics.rules_loaded(False)
                    log.warning("rules reload by %s refused, %d error(s); keeping %s:\n%s", updated_by,
                                len(e.errors), self._registry.dir_hash, "\n".join(map(str, e.errors)))
                    raise
            generation = self._publish(updated_by)
            metrics.rules_loaded(True, generation)
            from api.web.paths import for_callers
            return {"changed": changed, "generation": generation, **for_callers(self._registry.status())}

    def _publish(self, updated_by: str | None) -> int:
        """Bump ``ocms_rules_state`` unless it already names our hash; return the shared generation."""
        with self.database.unit_of_work() as uow:
            state = get_rules_state(uow.session)
            if state is not None and state.dir_hash == self._registry.dir_hash:
                generation = state.generation
            else:
                generation = bump_rules_state(uow.session, self._registry.dir_hash, updated_by=updated_by)
                uow.commit()
        self._seen_generation = generation
        return generation

    # ---- follow other workers' reloads ---------------------------------------
    def sync(self, force: bool = False) -> bool:
        """Reload if another worker published a different rules hash; True if the rules changed.

        Throttled to one database read per ``check_interval`` seconds.
        """
        now = time.monotonic()
        if not force and now < self._next_check:
            return False
        with self._lock:
            self._next_check = now + self.check_interval
            reg = self.ensure_loaded()
            try:
                with self.database.session() as s:
                    state = get_rules_state(s)
                    shared = (state.generation, state.dir_hash) if state is not None else None
            except Exception as e:  # database down or not migrated: keep serving, say why once per interval
                log.warning("cannot read ocms_rules_state (%s); keeping the rules in service",
                            str(e).splitlines()[0] if str(e) else type(e).__name__)
                return False
            if shared is None or reg is None or shared[0] == self._seen_generation:
                return False
            generation, dir_hash = shared
            self._seen_generation = generation
            if dir_hash == reg.dir_hash:
                metrics.rules_generation(generation)
                return False
            try:
                changed = reg.reload(self.directory)
            except RulesLoadError as e:
                metrics.rules_loaded(False)
                log.error("rules generation %s not taken: %s; keeping %s", generation, e, reg.dir_hash)
                return False
            metrics.rules_loaded(True, generation)
            if changed:
                log.info("rules reloaded for generation %s (hash %s)", generation, reg.dir_hash)
            return changed

    def close(self) -> None:
        """Free the engine handles (tests, shutdown)."""
        with self._lock:
            if self._registry is not None:
                self._registry.close()
                self._registry = None


def init_rules(app: Flask, database: Database) -> RulesService:
    """Attach a (not yet loaded) RulesService to ``app`` and the throttled sync hook."""
    service = RulesService(app.config["OCMS_RULES_DIR"], database, app.config["OCMS_RULES_CHECK_INTERVAL"])
    app.extensions[EXTENSION] = service

    @app.before_request
    def _follow_reloads():
        service.sync()

    return service


def get_rules(app: Flask | None = None) -> RulesService:
    """The RulesService of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]
