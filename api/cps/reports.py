"""The CPS change report (OCMS 15 §8): Excel files in the report store, listed and downloaded by id.

The report store is the directory ``OCMS_REPORT_DIR`` (DESIGN.md §10: it
stands in for Azure Blob); each file has an ``ocms_report_file`` row of type
``CPS`` whose id is the download handle: ``GET /v1/cps/reports/<id>``.
"""
from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.reports import DATE, Column, Sheet, write_xlsx
from repository.models import ReportFile, now

from .queries import REPORT_COLUMNS

REPORT_TYPE = "CPS"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Used when ocms_parameter has no REPORT_RANGE_DAYS/CPS row (§8.3).
DEFAULT_RANGE_DAYS = 90


def report_url(report_id: int) -> str:
    return f"/v1/cps/reports/{report_id}"


#: Column widths and number formats of the §8.4 columns (dates stay dates in the file).
_WIDTHS = (14, 14, 11, 14, 16, 20, 10, 40, 30, 16)
_FORMATS = (None, None, None, DATE, None, None, None, None, None, None)


def write_workbook(path: Path, rows: Sequence[Sequence], title: str) -> None:
    """Write the §8.4 columns and ``rows`` to an .xlsx file (the shared writer: typed cells, no formulas)."""
    columns = [Column(h, w, f) for (h, _), w, f in zip(REPORT_COLUMNS, _WIDTHS, _FORMATS)]
    data = write_xlsx([Sheet("Change Processing Stage", columns, rows)], title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # never a half-written report under its final name


def store_report(session: Session, report_dir: str | Path, rows: Sequence[Sequence], user: str | None,
                 params: dict, prefix: str = "CPS_Change_Report") -> ReportFile:
    """Write the workbook into the store and add its ocms_report_file row (no commit)."""
    stamp = now()
    name = f"{prefix}_{stamp:%Y%m%d_%H%M%S}_{uuid.uuid4().hex[:8]}.xlsx"
    path = Path(report_dir) / "cps" / name
    write_workbook(path, rows, prefix.replace("_", " "))
    row = ReportFile(report_type=REPORT_TYPE, file_name=name, content_type=XLSX, storage_path=str(path),
                     created_at=stamp, created_by=user, params=params)
    session.add(row)
    session.flush()
    return row


def list_reports(session: Session, start: dt.date, end: dt.date) -> list[ReportFile]:
    """CPS reports created from ``start`` to ``end`` (both days included), newest first."""
    R = ReportFile
    return list(session.scalars(select(R).where(
        R.report_type == REPORT_TYPE, R.created_at >= dt.datetime.combine(start, dt.time.min),
        R.created_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)).order_by(R.created_at.desc(), R.id.desc())))


def describe(r: ReportFile) -> dict:
    return {"reportId": r.id, "fileName": r.file_name, "createdAt": r.created_at.isoformat(),
            "createdBy": r.created_by, "url": report_url(r.id), "params": r.params}
