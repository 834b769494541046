"""Fill a template, and lay a letter out as a PDF (fpdf2).

    text = render_text("letters/an_letter.txt", {"notice_no": "500400058A", ...})
    letter = render_letter_pdf("letters/an_letter.txt", context)   # Letter(text, pdf bytes)

Templates are plain text with Jinja2 placeholders (``{{ notice_no }}``,
``{{ amount | money }}``, ``{{ notice_date | date }}``); an undefined
placeholder raises :class:`TemplateError` naming it, so a letter never goes out
with a blank where a notice number should be. In a letter, a line starting with
``## `` is printed bold without the marker; blank lines are kept. Templates are
read from :func:`templates_dir` on every render (an analyst's edit applies to
the next letter; files are small). PDF core fonts are Latin-1: other characters
print as ``?``.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import jinja2

from api.config import PROJECT_ROOT

#: Where templates live unless OCMS_TEMPLATES_DIR says otherwise.
DEFAULT_DIR = PROJECT_ROOT / "templates"


class TemplateError(ValueError):
    """A template is missing, broken, or uses a placeholder the caller did not give."""


@dataclass(frozen=True)
class Letter:
    """A rendered letter: its text and its PDF."""

    text: str
    pdf: bytes


def templates_dir(config: Mapping[str, Any] | None = None) -> Path:
    """``OCMS_TEMPLATES_DIR`` from ``config`` or the environment, else ``templates/`` of the checkout."""
    value = (config or {}).get("OCMS_TEMPLATES_DIR") or os.environ.get("OCMS_TEMPLATES_DIR")
    return Path(value) if value else DEFAULT_DIR


def _money(value: Any) -> str:
    return f"{Decimal(str(value)):,.2f}" if value is not None else ""


def _date(value: Any, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt) if isinstance(value, (dt.date, dt.datetime)) else ("" if value is None else str(value))


def _datetime(value: Any) -> str:
    return _date(value, "%d %b %Y %H:%M")


@functools.lru_cache(maxsize=32)
def _cached_environment(directory: str) -> jinja2.Environment:
    # One environment per directory: Jinja compiles a template once and, with auto_reload, compiles it again when
    # its file changes (an analyst's edit still applies to the next letter) - compiling costs ~25 ms per render.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(directory), undefined=jinja2.StrictUndefined,
                             autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True,
                             auto_reload=True, cache_size=400)
    env.filters.update(money=_money, date=_date, datetime=_datetime)
    return env


def _environment(directory: Path) -> jinja2.Environment:
    return _cached_environment(str(directory))


def render_text(template: str, context: Mapping[str, Any], directory: Path | None = None) -> str:
    """Template ``template`` (a path under the templates directory) filled from ``context``.

    Raises :class:`TemplateError` if the file is missing or broken or a
    placeholder has no value (None counts as a value: it prints empty).
    """
    directory = directory or templates_dir()
    try:
        text = _environment(directory).get_template(template).render(**context)
    except jinja2.UndefinedError as e:
        raise TemplateError(f"template {template}: {e.message} (give it a value, or remove it from the template)") from None
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template {template} not found in {directory}") from None
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(f"template {template}, line {e.lineno}: {e.message}") from None
    if not text.strip():
        raise TemplateError(f"template {template} rendered empty")
    return text


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def letter_pdf(text: str, title: str = "Letter") -> bytes:
    """``text`` laid out on A4: one paragraph per line, ``## `` lines bold, blank lines kept."""
    from fpdf import FPDF   # imported on first use: fpdf2 is slow to import and most workers never write a letter

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(_latin1(title))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    for line in text.splitlines():
        if line.startswith("## "):
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 6, _latin1(line[3:]), new_x="LMARGIN", new_y="NEXT")
        elif line.strip():
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, 5.5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(4)
    return bytes(pdf.output())


def render_letter_pdf(template: str, context: Mapping[str, Any], directory: Path | None = None,
                      title: str | None = None) -> Letter:
    """Fill ``template`` and lay it out as a PDF; :class:`TemplateError` if it cannot be filled.

    The PDF is checked before it is returned (§3.6 "Valid Letter?": generated and not empty).
    """
    text = render_text(template, context, directory)
    pdf = letter_pdf(text, title or Path(template).stem)
    if not pdf.startswith(b"%PDF") or len(pdf) < 200:
        raise TemplateError(f"template {template}: the PDF came out empty")
    return Letter(text, pdf)


__all__ = ["DEFAULT_DIR", "Letter", "TemplateError", "letter_pdf", "render_letter_pdf", "render_text", "templates_dir"]
