"""Alert emails to operations over SMTP (DESIGN.md §9: email goes over SMTP).

Settings: ``OCMS_SMTP_HOST`` / ``OCMS_SMTP_PORT`` (default 127.0.0.1:8025, where
``bin/demo`` runs a local SMTP server), ``OCMS_ALERT_FROM`` and
``OCMS_ALERT_TO`` (comma-separated). With no ``OCMS_ALERT_TO`` an alert is only
logged. Plain SMTP, as a relay inside the network expects; sending never
raises: a failed send is logged and reported as False, so that the failure the
alert is about is not hidden behind a mail error.

Reports go out with :func:`send_mail` (attachments, its own recipients), which
raises :class:`MailError` instead: a report job must fail when its email does.
Every send is counted in ``ocms_external_calls_total{system="SMTP"}``.
"""
from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Sequence

from api import metrics

log = logging.getLogger(__name__)

SYSTEM = "SMTP"

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


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused every recipient."""


@dataclass(frozen=True)
class MailAttachment:
    """A file to attach: name, MIME type (``application/pdf``) and content."""

    filename: str
    content_type: str
    data: bytes


def send_mail(settings: MailSettings, subject: str, body: str, recipients: Sequence[str],
              attachments: Sequence[MailAttachment] = ()) -> list[str]:
    """Email ``body`` with ``attachments`` to ``recipients``; the recipients the server accepted.

    Raises :class:`MailError` if the server cannot be reached or accepts none of them.
    """
    if not recipients:
        raise MailError("no recipients")
    msg = build_message(settings, subject, body, recipients)
    for a in attachments:
        maintype, _, subtype = a.content_type.partition("/")
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype or "octet-stream", filename=a.filename)
    started = time.perf_counter()
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            refused = smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as e:
        metrics.external_call(SYSTEM, "refused", time.perf_counter() - started)
        raise MailError(f"every recipient refused ({len(e.recipients)})") from None
    except (OSError, smtplib.SMTPException) as e:
        metrics.external_call(SYSTEM, "failed", time.perf_counter() - started)
        raise MailError(f"SMTP {settings.host}:{settings.port}: {type(e).__name__}: {e}") from None
    metrics.external_call(SYSTEM, "ok", time.perf_counter() - started)
    accepted = [r for r in recipients if r not in refused]
    if refused:
        log.error("mail %r refused for %d recipient(s)", subject, len(refused))
    return accepted


def send_alert(settings: MailSettings, subject: str, body: str) -> bool:
    """Email ``subject``/``body`` to operations; True if the SMTP server accepted it."""
    if not settings.recipients:
        log.error("alert not emailed (OCMS_ALERT_TO is not set): %s", subject)
        return False
    msg = build_message(settings, subject, body)
    started = time.perf_counter()
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            refused = smtp.send_message(msg)
        metrics.external_call(SYSTEM, "ok", time.perf_counter() - started)
    except (OSError, smtplib.SMTPException) as e:
        metrics.external_call(SYSTEM, "failed", time.perf_counter() - started)
        log.error("alert email to %s via %s:%s failed (%s: %s): %s", msg["To"], settings.host, settings.port,
                  type(e).__name__, e, subject)
        return False
    if refused:
        log.error("alert email refused for %s: %s", ", ".join(refused), subject)
    log.info("alert emailed to %s: %s", msg["To"], subject)
    return len(refused) < len(settings.recipients)


__all__ = ["MailAttachment", "MailError", "MailSettings", "build_message", "send_alert", "send_mail"]
