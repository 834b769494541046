"""A local SMTP server (aiosmtpd) that keeps what it receives, for alert tests and the demo.

    with SmtpSimulator() as smtp:                 # 127.0.0.1:<free port>
        ... send to smtp.host:smtp.port ...
        smtp.wait_for(1)                          # the messages, once one has arrived
        smtp.messages[0].subject, .body, .sender, .recipients, .attachments (filename, content_type, data)
        smtp.fail_next(2)                         # the next 2 messages are refused (451, a temporary failure)
        smtp.fail_always()                        # every message refused until reset()

Nothing is relayed anywhere. ``echo`` (a text stream) prints each message as it
arrives, as ``ocms-simulators run smtp`` does.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from typing import TextIO

from aiosmtpd.controller import Controller

from simulators.runner import LOOPBACK, free_port

DEFAULT_PORT = 8025


@dataclass(frozen=True)
class Attachment:
    """One attached file of a received message."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server received it."""

    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    headers: dict[str, str]
    attachments: tuple[Attachment, ...] = ()


class _Handler:
    """aiosmtpd handler: parse each message and hand it to the simulator."""

    def __init__(self, sink: "SmtpSimulator"):
        self._sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:
        refusal = self._sink._refusal()
        if refusal:
            return refusal
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
        body = (part.get_content() if part is not None else "").replace("\r\n", "\n")
        files = tuple(Attachment(a.get_filename(), a.get_content_type(), a.get_payload(decode=True) or b"")
                      for a in (msg.iter_attachments() if msg.is_multipart() else ()))
        self._sink._receive(ReceivedMessage(
            sender=envelope.mail_from, recipients=tuple(envelope.rcpt_tos), subject=str(msg.get("Subject", "")).strip(),  # a folded header keeps its leading blank
            body=body, headers={k: str(v) for k, v in msg.items()}, attachments=files))
        return "250 Message accepted for delivery"


class SmtpSimulator:
    """An SMTP server on loopback storing messages in memory (thread-safe)."""

    def __init__(self, host: str = LOOPBACK, port: int = 0, echo: TextIO | None = None):
        self.host = host
        self.port = port or free_port(host)
        self.echo = echo
        self._messages: list[ReceivedMessage] = []
        self._cond = threading.Condition()
        self._fail_next, self._fail_always, self.refused = 0, False, 0
        self._controller = Controller(_Handler(self), hostname=host, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> "SmtpSimulator":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> "SmtpSimulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _receive(self, message: ReceivedMessage) -> None:
        with self._cond:
            self._messages.append(message)
            self._cond.notify_all()
        if self.echo is not None:
            print(f"--- mail from {message.sender} to {', '.join(message.recipients)}\n"
                  f"Subject: {message.subject}\n\n{message.body}", file=self.echo, flush=True)

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Every message received so far, oldest first."""
        with self._cond:
            return list(self._messages)

    def clear(self) -> None:
        with self._cond:
            self._messages.clear()

    def fail_next(self, n: int) -> None:
        """Refuse the next ``n`` messages with 451 (a temporary failure: the sender should retry)."""
        with self._cond:
            self._fail_next = n

    def fail_always(self) -> None:
        """Refuse every message with 451 until :meth:`reset`."""
        with self._cond:
            self._fail_always = True

    def reset(self) -> None:
        """Accept every message again."""
        with self._cond:
            self._fail_next, self._fail_always = 0, False

    def _refusal(self) -> str | None:
        with self._cond:
            if self._fail_always or self._fail_next > 0:
                self._fail_next = max(self._fail_next - 1, 0)
                self.refused += 1
                return "451 Requested action aborted: local error in processing"
        return None

    def wait_for(self, n: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """The messages, once at least ``n`` have arrived (or ``timeout`` seconds passed)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._messages) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return list(self._messages)


__all__ = ["Attachment", "DEFAULT_PORT", "ReceivedMessage", "SmtpSimulator"]
