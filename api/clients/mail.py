"""Emails over SMTP: alerts to operations, and reports to their readers (DESIGN.md §9: email goes over SMTP).

Settings: ``OCMS_SMTP_HOST`` / ``OCMS_SMTP_PORT`` (default 127.0.0.1:8025, where
``bin/demo`` runs a local SMTP server), ``OCMS_ALERT_FROM`` and
``OCMS_ALERT_TO`` (comma-separated). With no ``OCMS_ALERT_TO`` an alert is only
logged. Plain SMTP, as a relay inside the network expects; sending never
raises: a failed send is logged and reported as False, so that the failure the
alert is about is not hidden behind a mail error.

:func:`send_mail` sends to given recipients with attachments, retried with
exponential backoff (tenacity) on refused connections, timeouts and SMTP
errors, and raises :class:`MailError` when every attempt failed - for reports,
where the caller must know (and log the report for manual sending).
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable, Iterable, Sequence

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

log = logging.getLogger(__name__)

#: Seconds to wait for the SMTP server.
SMTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class MailSettings:
    """Where alerts go and who they come from."""

    host: str = "127.0.0.1"
    port: int = 8025
    sender: str = "ocms@localhost"
    recipients: tuple[str, ...] = ()
    timeout: float = SMTP_TIMEOUT

    @classmethod
    def from_config(cls, config: dict) -> "MailSettings":
        return cls(config["OCMS_SMTP_HOST"], int(config["OCMS_SMTP_PORT"]), config["OCMS_ALERT_FROM"],
                   tuple(config.get("OCMS_ALERT_TO") or ()))


def build_message(settings: MailSettings, subject: str, body: str,
                  recipients: Sequence[str] | None = None) -> EmailMessage:
    """A plain-text message from ``settings.sender`` to ``recipients`` (default: the operations list)."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(recipients or settings.recipients)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="ocms")
    msg.set_content(body)
    return msg


def send_alert(settings: MailSettings, subject: str, body: str) -> bool:
    """Email ``subject``/``body`` to operations; True if the SMTP server accepted it."""
    if not settings.recipients:
        log.error("alert not emailed (OCMS_ALERT_TO is not set): %s", subject)
        return False
    msg = build_message(settings, subject, body)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            refused = smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as e:
        log.error("alert email to %s via %s:%s failed (%s: %s): %s", msg["To"], settings.host, settings.port,
                  type(e).__name__, e, subject)
        return False
    if refused:
        log.error("alert email refused for %s: %s", ", ".join(refused), subject)
    log.info("alert emailed to %s: %s", msg["To"], subject)
    return len(refused) < len(settings.recipients)


class MailError(RuntimeError):
    """A message could not be delivered to the SMTP server after its retries."""

    def __init__(self, message: str, attempts: int, errors: list[str]):
        super().__init__(message)
        self.attempts = attempts
        self.errors = errors


def send_mail(settings: MailSettings, recipients: Sequence[str], subject: str, body: str,
              attachments: Iterable[tuple[str, str, bytes]] = (), *, retries: int = 3, backoff: float = 2.0,
              sleep: Callable[[float], None] | None = None) -> int:
    """Send ``body`` with ``attachments`` ((file name, content type, bytes)) to ``recipients``; return the attempts.

    Tried once and up to ``retries`` more times, waiting ``backoff``, then twice as long each time, on a
    connection error, a timeout or any SMTP error (a refusal of some recipients counts as delivered). Raises
    :class:`MailError` with every attempt's error when all failed, ValueError when there is no recipient.
    """
    if not recipients:
        raise ValueError("no recipients")
    msg = build_message(settings, subject, body, recipients)
    for name, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    errors: list[str] = []

    def attempt() -> None:
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as e:
            errors.append(f"{type(e).__name__}: {e}"[:200])
            log.warning("email %r to %s via %s:%s failed (attempt %d): %s", subject, msg["To"], settings.host,
                        settings.port, len(errors), errors[-1])
            raise

    kwargs = {"sleep": sleep} if sleep is not None else {}
    retrying = Retrying(stop=stop_after_attempt(1 + max(retries, 0)), reraise=False,
                        wait=wait_exponential(multiplier=backoff, min=backoff, max=max(backoff, 0) * 2 ** retries),
                        retry=retry_if_exception_type((OSError, smtplib.SMTPException)), **kwargs)
    try:
        retrying(attempt)
    except RetryError:
        raise MailError(f"email {subject!r} not delivered after {len(errors)} attempt(s): {errors[-1]}",
                        len(errors), errors) from None
    log.info("email %r sent to %s (%d attempt(s))", subject, msg["To"], len(errors) + 1)
    return len(errors) + 1


__all__ = ["MailError", "MailSettings", "build_message", "send_alert", "send_mail"]
