"""The AN notification flow (OCMS 10 §3.4-3.7): ``ocms jobs run an-notifications``.

Per qualified AN (a PENDING ``ocms_an_notification`` row, left by intake) the
ruleset ``an_notification_route`` names the next step from what the earlier
steps recorded; this module carries the step out and records its result, and
asks again, until the rule says DONE, SKIP or MANUAL_REVIEW::

    CALL_LTA ─ SET_MILITARY_OWNER ─ CALL_DATAHIVE ─ SEND_SMS ─ SEND_EMAIL ─ CALL_MHA ─ SEND_LETTER ─ APPLY_PS_ANS
    (which of them, and in which order, is the ruleset's: rules/an_notification_route.yaml)

Work goes in batches (``batch_size`` rows claimed at once; ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so several runners share the pending rows). In each
round the whole batch is decided at once (one engine call), then each step is
done for all the rows that need it: the external calls concurrently
(``concurrent_calls``), then their results in one transaction. So:

* every external call's outcome is committed before the row's next step; a
  crash loses at most the calls in flight, and the next run resumes each row
  at its last recorded step;
* a send (SMS, email, letter) first commits its intent (``SENDING``, only where
  nothing was recorded yet) and only the runner whose intent was written calls;
  a row found at SENDING later is IN_DOUBT and is never sent on that channel
  again (an SMS or email in doubt counts as not sent; a letter in doubt goes to
  the manual review queue). A notice never gets two SMS, two emails or two
  letters for one qualification;
* PS-ANS (§3.7, the route's ``suspend`` action, revival period
  REVIVAL_DAYS/ANS as intake applied it) only after an eAN or a letter went out.

Every route decision is recorded in the decision log under the notice number.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlalchemy.orm import Session

from api.decisions.apply import revival_days
from api.decisions.log import record_decisions
from api.letters import TemplateError, templates_dir
from api.stages.batch import set_notices_fields, suspend_notices
from engine import Decision, RuleRegistry
from repository.models import now
from repository.notifications import DONE, REVIEW, SKIPPED

from . import channels as ch
from . import letter_files, messages, store

log = logging.getLogger(__name__)

JOB_NAME = "an-notifications"
RULESET = "an_notification_route"
#: Rounds of one batch before a row that makes no progress goes to manual review (a path has at most 9 steps).
MAX_ROUNDS = 20
EXTERNAL_STEPS = ("CALL_LTA", "CALL_DATAHIVE", "CALL_MHA", "SEND_SMS", "SEND_EMAIL", "SEND_LETTER")


@dataclass
class Counts:
    claimed: int = 0
    batches: int = 0
    done: int = 0
    skipped: int = 0
    review: int = 0
    psAns: int = 0
    calls: dict[str, int] = field(default_factory=lambda: Counter())
    results: dict[str, int] = field(default_factory=lambda: Counter())
    reviewTypes: dict[str, int] = field(default_factory=lambda: Counter())
    releasedDeadClaims: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, Counter) else v) for k, v in self.__dict__.items()}


@dataclass
class Context:
    """One run: who it is, what it talks to, what it decides with."""

    uow: Any
    registry: RuleRegistry
    channels: ch.Channels
    parameters: Mapping[str, Any]
    me: str
    pool: ThreadPoolExecutor
    letter_dir: Path
    templates: Path
    request_id: str
    counts: Counts

    @property
    def session(self) -> Session:
        return self.uow.session


def run_an_notifications(uow, registry: RuleRegistry, config: Mapping[str, Any], run_key: str,
                         channels: ch.Channels | None = None, sleep: Callable[[float], None] = time.sleep,
                         max_batches: int | None = None) -> dict[str, Any]:
    """Work through the pending qualified ANs (module docstring); commit as it goes; return the counts.

    ``config``: the app config (URLs and keys of the six systems, ``OCMS_AN_LETTER_DIR``,
    ``OCMS_TEMPLATES_DIR``). ``max_batches`` stops after that many batches (tests, benchmarks).
    """
    params = dict(registry.get(RULESET).parameters)
    size = max(int(params.get("batch_size", 100)), 1)
    workers = max(int(params.get("concurrent_calls", 16)), 1)
    lease = dt.timedelta(seconds=max(int(params.get("claim_lease_seconds", 600)), 30))
    own = channels is None
    channels = channels or ch.Channels.from_config(config, params, pool_size=workers, sleep=sleep)
    counts = Counts()
    letter_dir = letter_files.letter_root(config)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="an-notify")
    ctx = Context(uow, registry, channels, params, store.runner_id(), pool, letter_dir, templates_dir(config),
                  f"{JOB_NAME}:{run_key}", counts)
    try:
        counts.releasedDeadClaims = store.release_dead_local_claims(ctx.session, now())
        uow.commit()
        while max_batches is None or counts.batches < max_batches:
            ids = store.claim(ctx.session, ctx.me, size, now(), lease)
            uow.commit()
            if not ids:
                break
            counts.batches += 1
            counts.claimed += len(ids)
            _work_batch(ctx, ids)
    finally:
        pool.shutdown(wait=True)
        if own:
            channels.close()
    log.info("%s %s: %s", JOB_NAME, run_key, counts.as_dict())
    return counts.as_dict()


def _work_batch(ctx: Context, ids: list[int]) -> None:
    """Rounds over one claimed batch until every row is DONE, SKIPPED or in REVIEW."""
    pending = list(ids)
    for _ in range(MAX_ROUNDS):
        states = store.load_states(ctx.session, pending, ctx.me)
        ctx.uow.commit()   # no transaction stays open while the systems answer
        if not states:
            return
        decisions = ctx.registry.evaluate_many(RULESET, [s.facts() for s in states])
        by_step: dict[str, list[tuple[store.State, Decision]]] = defaultdict(list)
        for s, d in zip(states, decisions):
            by_step[d.outcome or "MANUAL_REVIEW"].append((s, d))
        _database_steps(ctx, by_step)
        _external_steps(ctx, by_step)
        pending = [s.id for s in states]
    stuck = store.load_states(ctx.session, pending, ctx.me)
    if stuck:   # a route that loops: a person looks at it
        when = now()
        _review(ctx, [(s, None) for s in stuck], when, "AN_NO_PROGRESS",
                f"No progress after {MAX_ROUNDS} steps")
        ctx.uow.commit()


def _external_steps(ctx: Context, by_step: dict) -> None:
    """Every external step of the round at once: prepare all (intents committed), call all concurrently, record all.

    Each step is a generator: it prepares its rows and yields the calls to make, then receives their results
    and records them. The calls of different steps concern different rows, so they run side by side.
    """
    running = []
    for step in EXTERNAL_STEPS:
        if by_step.get(step):
            gen = STEPS[step](ctx, by_step[step])
            running.append((step, gen, next(gen)))
    if not running:
        return
    ctx.uow.commit()          # every intent (SENDING) is committed before any call is made
    futures = [[ctx.pool.submit(call) for call in calls] for _, _, calls in running]
    for (step, gen, calls), fs in zip(running, futures):
        ctx.counts.calls[SYSTEM_OF[step]] += len(calls)
        results = [f.result() for f in fs]
        try:
            gen.send(results)
        except StopIteration:
            pass
        _count(ctx, step, results)
    ctx.uow.commit()          # every result of the round, with its decisions


def _log(ctx: Context, items: list[tuple[store.State, Decision]]) -> None:
    decisions = [d for _, d in items if d is not None]
    if decisions:
        record_decisions(ctx.session, decisions, [s.notice_no for s, d in items if d is not None],
                         request_id=ctx.request_id, caller=JOB_NAME)


# -- steps without external calls ----------------------------------------------------------------------------


def _database_steps(ctx: Context, by_step: dict) -> None:
    """DONE, SKIP, MANUAL_REVIEW, SET_MILITARY_OWNER, APPLY_PS_ANS (and unknown outcomes) in one transaction."""
    when = now()
    handled = False
    for step, items in by_step.items():
        if step in EXTERNAL_STEPS:
            continue
        handled = True
        if step == "DONE":
            store.finish(ctx.session, ctx.me, [{"id": s.id, "status": DONE, "step": step} for s, _ in items], when)
            ctx.counts.done += len(items)
        elif step == "SKIP":   # why, on the row: the rule's message and the suspension that stopped it
            store.finish(ctx.session, ctx.me, [{"id": s.id, "status": SKIPPED, "step": step,
                                                "last_error": _skip_reason(s, d)} for s, d in items], when)
            ctx.counts.skipped += len(items)
        elif step == "SET_MILITARY_OWNER":
            name = str(ctx.parameters.get("military_owner_name") or "MINDEF")
            store.upsert_owners(ctx.session, [{"notice_no": s.notice_no, "name": name, "id_type": None, "id_no": None}
                                              for s, _ in items], when)
            store.set_work(ctx.session, ctx.me, [{"id": s.id, "owner_result": "MILITARY", "step": step}
                                                 for s, _ in items], when)
        elif step == "APPLY_PS_ANS":
            _apply_ps_ans(ctx, items, when)
        else:   # MANUAL_REVIEW, or an outcome this service does not know: a person decides
            by_type: dict[tuple, list] = defaultdict(list)
            for s, d in items:
                review_type = d.outputs.get("review_type") or ("AN_NO_ROUTE" if step == "MANUAL_REVIEW"
                                                               else f"AN_UNKNOWN_{step}"[:30])
                by_type[(review_type, d.message or step)].append((s, d))
            for (review_type, message), group in by_type.items():
                _review(ctx, group, when, review_type, message)
        _log(ctx, items)
    if handled:
        ctx.uow.commit()


def _skip_reason(s: store.State, d: Decision) -> str:
    n = s.notice
    reason = n.get("crs_reason_of_suspension") or n.get("epr_reason_of_suspension")
    suspension = "-".join(x for x in (n.get("suspension_type"), reason) if x)
    return f"{d.message or 'Skipped'} ({suspension})" if suspension else (d.message or "Skipped")


def _review(ctx: Context, items, when: dt.datetime, review_type: str, message: str) -> None:
    rows = []
    for s, _ in items:
        reason = message if not s.work.get("last_error") else f"{message}: {s.work['last_error']}"
        rows.append({"notice_no": s.notice_no, "review_type": review_type, "reason": reason[:2000],
                     "details": {"source": JOB_NAME, "workId": s.id, "vehicleNo": s.notice["vehicle_no"],
                                 "results": {k: s.work[k] for k in ("owner_result", "contact_result", "sms_result",
                                                                     "email_result", "address_result",
                                                                     "letter_result")},
                                 "actions": []}})
    queued = store.queue_reviews(ctx.session, rows, when)
    store.finish(ctx.session, ctx.me, [{"id": s.id, "status": REVIEW, "step": "MANUAL_REVIEW",
                                        "review_id": queued[s.notice_no]} for s, _ in items], when)
    ctx.counts.review += len(items)
    ctx.counts.reviewTypes[review_type] += len(items)


def _apply_ps_ans(ctx: Context, items, when: dt.datetime) -> None:
    """§3.7: the route's actions (suspend PS-ANS, as intake applied it) for every notice, set-based."""
    groups: dict[tuple, list] = defaultdict(list)
    for s, d in items:
        groups[tuple((a.name, tuple(sorted(a.params.items()))) for a in d.actions)].append(s)
    for actions, states in groups.items():
        nos = [s.notice_no for s in states]
        for name, params in actions:
            p = dict(params)
            if name == "suspend":
                days = revival_days(ctx.session, p["reason"], p.get("revival_days"), nos[0])
                suspend_notices(ctx.session, nos, p["suspension_type"], p["reason"], days, p.get("remarks"), when,
                                store.JOB_USER)
            elif name == "set_notice_fields":
                set_notices_fields(ctx.session, nos, p, when, store.JOB_USER)
            else:
                raise ValueError(f"action {name!r} cannot follow a notification")
        store.finish(ctx.session, ctx.me, [{"id": s.id, "ps_ans_applied": "Y", "status": DONE, "step": "APPLY_PS_ANS"}
                                           for s in states], when)
        ctx.counts.psAns += len(states)
        ctx.counts.done += len(states)


# -- steps with external calls ------------------------------------------------------------------------------


def _count(ctx: Context, step: str, results) -> None:
    for r in results:
        ctx.counts.results[f"{step}:{r.result}"] += 1


def _lta(ctx: Context, items):
    results = yield [lambda v=s.notice["vehicle_no"]: ch.call_lta(ctx.channels, v) for s, _ in items]
    when = now()
    owners, work = [], []
    for (s, _), r in zip(items, results):
        row = {"id": s.id, "owner_result": r.result, "step": "CALL_LTA", "last_error": r.error}
        if r.result == "FOUND":
            o = r.value
            owners.append({"notice_no": s.notice_no, "id_type": o.owner_id_type, "id_no": o.owner_id_no,
                           "name": o.owner_name})
        work.append(row)
    store.upsert_owners(ctx.session, owners, when)
    store.set_work(ctx.session, ctx.me, work, when)
    _log(ctx, items)


def _datahive(ctx: Context, items):
    results = yield [lambda i=s.owner["id_no"]: ch.call_datahive(ctx.channels, i) for s, _ in items]
    when = now()
    owners, work = [], []
    for (s, _), r in zip(items, results):
        work.append({"id": s.id, "contact_result": r.result, "step": "CALL_DATAHIVE", "last_error": r.error})
        c = r.value
        owners.append({"notice_no": s.notice_no, "mobile_no": c.mobile_number if c else None,
                       "email_addr": c.email_address if c else None})
    store.update_owners(ctx.session, owners, when)
    store.set_work(ctx.session, ctx.me, work, when)
    _log(ctx, items)


def _mha(ctx: Context, items):
    results = yield [lambda i=s.owner["id_no"]: ch.call_mha(ctx.channels, i) for s, _ in items]
    when = now()
    owners, work = [], []
    for (s, _), r in zip(items, results):
        work.append({"id": s.id, "address_result": r.result, "step": "CALL_MHA", "last_error": r.error})
        if r.result in ("FOUND", "NO_ADDRESS"):
            p = r.value
            row = {"notice_no": s.notice_no, "mha_checked_date": when,
                   "is_deceased": None if p.is_deceased is None else ("Y" if p.is_deceased else "N")}
            if p.address is not None:
                a = p.address
                street = " ".join(x for x in (a.block_house_no, a.street_name) if x)
                row.update(bldg_name=a.building_name, street_name=street[:65] or None, unit_no=a.unit_number,
                           postal_code=a.postal_code)
            owners.append(row)
    store.update_owners(ctx.session, owners, when)
    store.set_work(ctx.session, ctx.me, work, when)
    _log(ctx, items)


def _ean(ctx: Context, items, channel: str):
    """§3.5: SMS or email for each row: intent, call, result + log + the notice's eAN fields."""
    column, step = ("sms_result", "SEND_SMS") if channel == "SMS" else ("email_result", "SEND_EMAIL")
    when = now()
    prepared, work = [], []
    for s, d in items:
        c = messages.context(s.notice, ctx.parameters)
        try:
            content = (messages.sms_text(c, ctx.templates) if channel == "SMS"
                       else messages.email_message(c, ctx.templates))
        except TemplateError as e:  # a broken template: this channel failed, nothing was sent
            log.error("eAN %s of notice %s not written: %s", channel, s.notice_no, e)
            work.append({"id": s.id, column: "FAILED", "step": step, "last_error": str(e)[:2000]})
            continue
        prepared.append((s, d, content))
    store.set_work(ctx.session, ctx.me, work, when)
    got = store.intend(ctx.session, ctx.me, [s.id for s, _, _ in prepared], column, step, when)
    _log(ctx, items)
    prepared = [p for p in prepared if p[0].id in got]
    sender = str(ctx.parameters.get("sms_sender" if channel == "SMS" else "email_sender") or "")
    if channel == "SMS":
        results = yield [lambda p=p: ch.call_sms(ctx.channels, p[0].owner["mobile_no"], p[2], sender)
                         for p in prepared]
    else:
        results = yield [lambda p=p: ch.call_email(ctx.channels, p[0].owner["email_addr"], p[2].subject, p[2].body,
                                                   sender) for p in prepared]
    when = now()
    work, logs, notices = [], [], []
    for (s, _, content), r in zip(prepared, results):
        work.append({"id": s.id, column: r.result, "step": step, "last_error": r.error})
        text = content if channel == "SMS" else f"Subject: {content.subject}\n\n{content.body}"
        logs.append({"notice_no": s.notice_no, "channel": channel,
                     "recipient_mobile": s.owner["mobile_no"] if channel == "SMS" else None,
                     "recipient_email": s.owner["email_addr"] if channel == "EMAIL" else None,
                     "message_content": text, "message_id": r.value.message_id if r.value else None,
                     "sent_timestamp": when if r.result == "SUCCESS" else None, "status": r.result,
                     "retry_count": r.retries})
        if r.result == "SUCCESS":
            other = s.work["email_result" if channel == "SMS" else "sms_result"]
            method = "BOTH" if other == "SUCCESS" else channel
            notices.append({"notice_no": s.notice_no, "ean_sent_flag": "Y", "ean_sent_timestamp": when,
                            "notification_method": method})
    store.set_work(ctx.session, ctx.me, work, when)
    store.log_ean(ctx.session, logs, when)
    store.update_notices(ctx.session, notices, when)


def _sms(ctx: Context, items):
    return (yield from _ean(ctx, items, "SMS"))


def _email(ctx: Context, items):
    return (yield from _ean(ctx, items, "EMAIL"))


def _letter(ctx: Context, items):
    """§3.6: the PDF (validated, kept in OCMS_AN_LETTER_DIR), intent, SLIFT, result + log + the notice's fields.

    The log's ``letter_file_path`` is relative to the letter store (:mod:`.letter_files`).
    """
    when = now()
    prepared, work, logs = [], [], []

    def render(item):
        s, d = item
        c = messages.context(s.notice, ctx.parameters)
        try:
            return messages.letter(c, s.owner.get("name") or "Vehicle Owner", s.owner, when.date(), ctx.templates)
        except TemplateError as e:
            return e

    rendered = list(ctx.pool.map(render, items))
    for (s, d), letter in zip(items, rendered):
        address = messages.full_address(s.owner)
        if isinstance(letter, TemplateError):
            log.error("AN letter of notice %s not generated: %s", s.notice_no, letter)
            work.append({"id": s.id, "letter_result": "INVALID", "step": "SEND_LETTER", "last_error": str(letter)[:2000]})
            logs.append({"notice_no": s.notice_no, "recipient_name": (s.owner.get("name") or "")[:66],
                         "recipient_address": address, "status": "INVALID", "retry_count": 0})
            continue
        path = letter_files.letter_path(when.date(), s.notice_no)
        letter_files.write_letter(ctx.letter_dir, path, letter.pdf)
        prepared.append((s, d, letter, path, address))
    store.set_work(ctx.session, ctx.me, work, when)
    store.log_letters(ctx.session, logs, when)
    got = store.intend(ctx.session, ctx.me, [p[0].id for p in prepared], "letter_result", "SEND_LETTER", when)
    _log(ctx, items)
    prepared = [p for p in prepared if p[0].id in got]
    results = yield [lambda p=p: ch.call_slift(ctx.channels, p[0].notice_no, p[0].notice["vehicle_no"], p[2].pdf,
                                               p[0].owner.get("name") or "Vehicle Owner", p[4]) for p in prepared]
    when = now()
    work, logs, notices = [], [], []
    for (s, _, _, path, address), r in zip(prepared, results):
        work.append({"id": s.id, "letter_result": r.result, "step": "SEND_LETTER", "last_error": r.error})
        sid = r.value.submission_id if r.value else None
        logs.append({"notice_no": s.notice_no, "recipient_name": (s.owner.get("name") or "")[:66],
                     "recipient_address": address, "letter_file_path": path, "slift_submission_id": sid,
                     "sent_timestamp": when if r.result == "SUCCESS" else None,
                     "status": r.result, "retry_count": r.retries})
        if r.result == "SUCCESS":
            notices.append({"notice_no": s.notice_no, "letter_sent_flag": "Y", "letter_sent_timestamp": when,
                            "slift_submission_id": sid})
    store.set_work(ctx.session, ctx.me, work, when)
    store.log_letters(ctx.session, logs, when)
    store.update_notices(ctx.session, notices, when)


SYSTEM_OF = {"CALL_LTA": "LTA", "CALL_DATAHIVE": "DATAHIVE", "CALL_MHA": "MHA", "SEND_SMS": "SMS",
             "SEND_EMAIL": "EMAIL", "SEND_LETTER": "SLIFT"}
STEPS = {"CALL_LTA": _lta, "CALL_DATAHIVE": _datahive, "CALL_MHA": _mha, "SEND_SMS": _sms, "SEND_EMAIL": _email,
         "SEND_LETTER": _letter}

__all__ = ["Counts", "EXTERNAL_STEPS", "JOB_NAME", "MAX_ROUNDS", "RULESET", "run_an_notifications"]
