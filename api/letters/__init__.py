"""Letters and message texts from templates analysts edit (OCMS 10 §3.5-3.6, OCMS 14 tabs 2-3).

Templates are Jinja2 text files under ``OCMS_TEMPLATES_DIR`` (default
``templates/`` of the checkout; analysts' guide: ``templates/README.md``).
:func:`render_text` fills one — every placeholder must be given, a missing one
is :class:`TemplateError` — and :func:`render_letter_pdf` lays the filled text
out as an A4 PDF (one paragraph per line, ``## `` lines as bold headings).
"""
from .render import Letter, TemplateError, render_letter_pdf, render_text, templates_dir

__all__ = ["Letter", "TemplateError", "render_letter_pdf", "render_text", "templates_dir"]
