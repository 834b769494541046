"""Letters for the print vendor: a PDF per notice from an analyst's template, delivered once over SFTP.

Files are named ``<LETTER>_<noticeNo>_<YYYYMMDD>.pdf`` (the business date of the run) and dropped into
``<OCMS_SFTP_DIR>/<YYYYMMDD>/``. :func:`deliver` never delivers a file twice: a name already recorded in
``ocms_letter_delivery`` is skipped, and so is one already on the server (a run killed after the upload
but before its commit) - it is only recorded. The caller commits the delivery rows together with the
notices' stage change, so a notice moves exactly when its letter is with the vendor.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Iterable, Mapping

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api.clients.sftp import SftpClient
from api.clients.mha import Address
from api.letters import render_letter_pdf
from repository.models import DELIVERED, SYSTEM_USER, LetterDelivery, OffenceNoticeOwnerDriver

from .batch import in_batch


@dataclass(frozen=True)
class LetterFile:
    notice_no: str
    letter_type: str
    file_name: str
    pdf: bytes


def file_name(letter_type: str, notice_no: str, day: dt.date) -> str:
    return f"{letter_type}_{notice_no}_{day:%Y%m%d}.pdf"


def subdir(day: dt.date) -> str:
    return f"{day:%Y%m%d}"


def address_lines(offender: OffenceNoticeOwnerDriver | None) -> list[str]:
    """The offender's address as printed (street with block, unit and building, SINGAPORE postal code)."""
    if offender is None:
        return []
    return Address(None, offender.bldg_name, offender.street_name, offender.unit_no, offender.postal_code).lines()


def has_address(offender: OffenceNoticeOwnerDriver | None) -> bool:
    return bool(offender is not None and offender.name and offender.street_name and offender.postal_code)


def _place(notice) -> str:
    """The car park's name (else its code) for the letter; "" when neither holds any text (the template leaves
    the place out rather than printing "at  on")."""
    return " ".join((notice.pp_name or "").split()) or " ".join((notice.pp_code or "").split())


def letter_context(notice, offender: OffenceNoticeOwnerDriver | None, day: dt.date, **extra) -> dict:
    """The placeholders every letter template may use (templates/README.md)."""
    return {"letter_date": day, "offender_name": (offender.name if offender else None) or "The Registered Owner",
            "address_lines": address_lines(offender), "notice_no": notice.notice_no, "vehicle_no": notice.vehicle_no,
            "notice_date_and_time": notice.notice_date_and_time, "pp_name": _place(notice),
            "computer_rule_code": notice.computer_rule_code, "composition_amount": notice.composition_amount,
            "amount_payable": notice.amount_payable if notice.amount_payable is not None else notice.composition_amount,
            **extra}


def render(template: str, letter_type: str, notice, context: Mapping, day: dt.date, templates_dir=None) -> LetterFile:
    """The letter's PDF (checked not empty; TemplateError if the template cannot be filled)."""
    letter = render_letter_pdf(template, context, templates_dir, title=f"{letter_type} {notice.notice_no}")
    return LetterFile(notice.notice_no, letter_type, file_name(letter_type, notice.notice_no, day), letter.pdf)


def already_delivered(session: Session, names: Iterable[str]) -> set[str]:
    names = list(names)
    if not names:
        return set()
    L = LetterDelivery
    return set(session.scalars(select(L.file_name).where(in_batch(session, L.file_name, names))))


def deliver(session: Session, sftp: SftpClient, letters: list[LetterFile], day: dt.date, job_name: str,
            when: dt.datetime) -> dict[str, str]:
    """Put each letter on the server unless it is there already; record them; return name → how (sent/found/known).

    Raises :class:`api.clients.sftp.SftpError` at the first file the server refuses; the files put before
    it are on the server and will be found (not sent again) by the re-run.
    """
    folder = subdir(day)
    known = already_delivered(session, (f.file_name for f in letters))
    on_server = sftp.listdir(folder) if len(known) < len(letters) else set()
    how: dict[str, str] = {}
    rows = []
    for f in letters:
        if f.file_name in known:
            how[f.file_name] = "known"
            continue
        if f.file_name in on_server:
            how[f.file_name] = "found"
            remote = sftp.path(folder, f.file_name)
        else:
            remote = sftp.put(folder, f.file_name, f.pdf)
            how[f.file_name] = "sent"
        rows.append({"file_name": f.file_name, "notice_no": f.notice_no, "letter_type": f.letter_type,
                     "business_date": day, "remote_path": remote, "size_bytes": len(f.pdf),
                     "sha256": hashlib.sha256(f.pdf).hexdigest(), "status": DELIVERED, "delivered_at": when,
                     "job_name": job_name, "cre_date": when, "cre_user_id": SYSTEM_USER})
    if rows:
        session.execute(insert(LetterDelivery), rows)
    return how


__all__ = ["LetterFile", "address_lines", "already_delivered", "deliver", "file_name", "has_address",
           "letter_context", "render", "subdir"]
