"""The eAN texts and the AN letter of one notice, from the templates analysts edit (OCMS 10 §3.5, §3.6).

* ``templates/notifications/ean_sms.txt`` — the SMS (§3.5 "SMS Content Template");
* ``templates/notifications/ean_email.txt`` — the email: first line ``Subject: ...``, a blank line, the body;
* ``templates/letters/an_letter.txt`` — the letter (§3.6 "Letter Structure"), laid out as a PDF.

Placeholders are filled from the notice, its offence rule code's description,
its car park's name and the ruleset's ``portal_url`` / ``contact_number``. A
template that cannot be filled raises :class:`api.letters.TemplateError`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from api.letters import Letter, TemplateError, render_letter_pdf, render_text

SMS_TEMPLATE = "notifications/ean_sms.txt"
EMAIL_TEMPLATE = "notifications/ean_email.txt"
LETTER_TEMPLATE = "letters/an_letter.txt"
SUBJECT_PREFIX = "Subject:"


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def context(notice: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The placeholders of every AN text: notice fields, offence description, car park, portal and contact."""
    when = notice["notice_date_and_time"]
    return {
        "notice_no": notice["notice_no"], "vehicle_no": notice["vehicle_no"],
        "offense_description": notice.get("offense_description") or f"Offence code {notice['computer_rule_code']}",
        "pp_name": notice.get("pp_name") or notice.get("pp_code") or "",
        "notice_date": when, "notice_date_and_time": when,
        "composition_amount": notice["composition_amount"],
        "portal_url": parameters.get("portal_url", ""), "contact_number": parameters.get("contact_number", ""),
    }


def sms_text(ctx: Mapping[str, Any], directory: Path | None = None) -> str:
    """The eAN SMS of one notice."""
    return render_text(SMS_TEMPLATE, ctx, directory).strip()


def email_message(ctx: Mapping[str, Any], directory: Path | None = None) -> Email:
    """The eAN email of one notice: subject (the template's first line) and body."""
    text = render_text(EMAIL_TEMPLATE, ctx, directory).strip("\n")
    first, _, rest = text.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise TemplateError(f"template {EMAIL_TEMPLATE}: the first line must start with {SUBJECT_PREFIX!r}")
    subject, body = first[len(SUBJECT_PREFIX):].strip(), rest.strip("\n")
    if not subject or not body.strip():
        raise TemplateError(f"template {EMAIL_TEMPLATE}: subject or body came out empty")
    return Email(subject, body)


def letter(ctx: Mapping[str, Any], owner_name: str, address: Mapping[str, Any], today: dt.date,
           directory: Path | None = None) -> Letter:
    """The AN letter as text and PDF, checked non-empty (§3.6 "Valid Letter?"); TemplateError otherwise."""
    return render_letter_pdf(LETTER_TEMPLATE, {**ctx, "letter_date": today, "owner_name": owner_name,
                                               "building_name": address.get("bldg_name"),
                                               "street_name": address.get("street_name"),
                                               "unit_number": address.get("unit_no"),
                                               "postal_code": address.get("postal_code")},
                             directory, title=f"Advisory Notice {ctx['notice_no']}")


def full_address(address: Mapping[str, Any]) -> str:
    """The address as one line for SLIFT's ``recipientAddress`` (at most 500 characters)."""
    parts = [address.get(k) for k in ("bldg_name", "street_name", "unit_no")]
    postal = address.get("postal_code")
    line = ", ".join(p for p in parts if p)
    if postal:
        line = f"{line}, SINGAPORE {postal}" if line else f"SINGAPORE {postal}"
    return line[:500]


__all__ = ["EMAIL_TEMPLATE", "Email", "LETTER_TEMPLATE", "SMS_TEMPLATE", "context", "email_message", "full_address",
           "letter", "sms_text"]
