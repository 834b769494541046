"""Templates filled strictly, letters laid out as PDFs that read back."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from api.letters import TemplateError, render_letter_pdf, render_text, templates_dir


@pytest.fixture
def tdir(tmp_path):
    (tmp_path / "letters").mkdir()
    (tmp_path / "letters" / "t.txt").write_text(
        "{# placeholders: name, notice_no, amount, when #}\n"
        "## Urban Redevelopment Authority\n\nDear {{ name }},\n\nNotice {{ notice_no }}: ${{ amount | money }}"
        " on {{ when | date }} at {{ when | datetime }}.\n", encoding="utf-8")
    (tmp_path / "letters" / "typo.txt").write_text("Notice {{ notice_nu }}\n", encoding="utf-8")
    (tmp_path / "letters" / "broken.txt").write_text("Notice {{ notice_no \n", encoding="utf-8")
    return tmp_path


CTX = {"name": "TAN AH KOW", "notice_no": "500400058A", "amount": Decimal("70"), "when": dt.datetime(2026, 1, 15, 10, 30)}


def test_text_is_filled_with_formats(tdir):
    text = render_text("letters/t.txt", CTX, tdir)
    assert "Dear TAN AH KOW," in text
    assert "Notice 500400058A: $70.00 on 15 Jan 2026 at 15 Jan 2026 10:30." in text
    assert "placeholders" not in text  # comments are not printed


def test_a_missing_placeholder_names_itself(tdir):
    with pytest.raises(TemplateError, match="notice_nu"):
        render_text("letters/typo.txt", {"notice_no": "1"}, tdir)


def test_broken_and_missing_templates_are_template_errors(tdir):
    with pytest.raises(TemplateError, match="line 1"):
        render_text("letters/broken.txt", CTX, tdir)
    with pytest.raises(TemplateError, match="not found"):
        render_text("letters/none.txt", CTX, tdir)


def test_letter_pdf_reads_back(tdir):
    letter = render_letter_pdf("letters/t.txt", {**CTX, "name": "JOSÉ 李"}, tdir)
    assert letter.pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.pdf)).pages)
    assert "Urban Redevelopment Authority" in text and "500400058A" in text and "$70.00" in text
    assert "## " not in text
    assert "JOS" in text and "?" in text  # non-Latin-1 characters print as '?'


def test_templates_dir_follows_the_setting(tmp_path, monkeypatch):
    assert templates_dir({"OCMS_TEMPLATES_DIR": str(tmp_path)}) == tmp_path
    monkeypatch.setenv("OCMS_TEMPLATES_DIR", str(tmp_path / "x"))
    assert templates_dir() == tmp_path / "x"
    monkeypatch.delenv("OCMS_TEMPLATES_DIR")
    assert (templates_dir() / "README.md").is_file()
