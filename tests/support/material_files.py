"""Small course files made by code for tests: PDFs with text, without text (a scan), with a password; a Word file
with headings."""

from __future__ import annotations

import io
from collections.abc import Sequence


def text_pdf(pages: Sequence[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text)
    return bytes(pdf.output())


def blank_pdf(pages: int = 2) -> bytes:
    """Pages with drawings and no text layer, like a scan."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for _ in range(pages):
        pdf.add_page()
        pdf.rect(20, 20, 150, 200, style="F")
    return bytes(pdf.output())


def locked_pdf(password: str = "s3cret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(["Confidential exam answers."]))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_with_headings() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Reading for week 5.")
    document.add_heading("Greedy choice", level=1)
    document.add_paragraph("A greedy algorithm commits to the locally best choice.")
    document.add_heading("Matroids", level=2)
    document.add_paragraph("Greedy is optimal on every weighted matroid.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
