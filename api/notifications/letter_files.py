"""The AN letters' PDFs (OCMS 10 §3.6): files under the letter store, ``OCMS_AN_LETTER_DIR``.

Each letter is kept as ``<YYYYMMDD>/<noticeNo>.pdf`` (the day it was made)
under the store's root, and ``ocms_an_letter_log.letter_file_path`` holds that
path *relative to the root* (posix form), for the rows the job writes and the
rows the demo seeds alike — so moving the store, or pointing another machine at
it, only changes ``OCMS_AN_LETTER_DIR``. Readers resolve a stored path with
:func:`read_letter` against the configured root (never against the working
directory). An absolute path (a row written before paths were relative) is
still found when it lies inside the root.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path, PurePosixPath
from typing import Any, Mapping


def letter_root(config: Mapping[str, Any]) -> Path:
    """The letter store's root: ``OCMS_AN_LETTER_DIR``, else ``<OCMS_REPORT_DIR>/an-letters``."""
    return Path(config.get("OCMS_AN_LETTER_DIR") or Path(config.get("OCMS_REPORT_DIR") or "instance/reports")
                / "an-letters")


def letter_path(day: dt.date, notice_no: str) -> str:
    """The stored (relative) path of the letter of ``notice_no`` made on ``day``: ``20260115/500400069Y.pdf``."""
    return str(PurePosixPath(f"{day:%Y%m%d}") / f"{notice_no}.pdf")


def write_letter(root: str | os.PathLike, stored: str, pdf: bytes) -> Path:
    """Write ``pdf`` at ``stored`` under ``root`` (under a temporary name, then renamed); return the file."""
    target = Path(root) / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(pdf)
    partial.replace(target)
    return target


def read_letter(root: str | os.PathLike, stored: str | None) -> Path | None:
    """The file a ``letter_file_path`` names, or None if there is none (gone, or it would lie outside the store)."""
    if not stored:
        return None
    base = Path(root).resolve()
    path = (base / stored).resolve()
    return path if path.is_relative_to(base) and path.is_file() else None


__all__ = ["letter_path", "letter_root", "read_letter", "write_letter"]
