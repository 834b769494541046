"""The report store: files under ``OCMS_REPORT_DIR``, one ``ocms_report_file`` row each (DESIGN.md §9)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from repository.models import ReportFile, now

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def store_report(session: Session, report_dir: str | os.PathLike, report_type: str, stem: str, fmt: str,
                 data: bytes, created_by: str | None, params: dict) -> ReportFile:
    """Write ``data`` to ``<report_dir>/<type>/<stem>_<stamp>_<token>.<fmt>`` and add its row (flushed).

    The file is written under a temporary name and renamed, so a reader never
    sees half a report; ``storage_path`` is relative to the store. The caller
    commits, and removes the file with :func:`discard` if the commit fails.
    """
    stamp = now()
    name = f"{stem}_{stamp:%Y%m%d%H%M%S}_{secrets.token_hex(3)}.{fmt}"
    relative = Path(report_type.lower()) / name
    target = Path(report_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(target)
    row = ReportFile(report_type=report_type, file_name=name, content_type=CONTENT_TYPES[fmt],
                     storage_path=relative.as_posix(), created_at=stamp, created_by=created_by, params=params)
    session.add(row)
    session.flush()
    return row


def read_report(report_dir: str | os.PathLike, row: ReportFile) -> Path | None:
    """The stored file of ``row``, or None if it is gone (or would lie outside the store)."""
    root = Path(report_dir).resolve()
    path = (root / row.storage_path).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def discard(report_dir: str | os.PathLike, row: ReportFile) -> None:
    """Remove the file of a row whose transaction did not commit."""
    path = read_report(report_dir, row)
    if path is not None:
        path.unlink(missing_ok=True)
