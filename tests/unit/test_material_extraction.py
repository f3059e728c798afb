"""Course files read into passages with their page, slide or section; files without usable text refused in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from farm.materials.extraction import MaterialRefused, extract, kind_of
from farm.materials.passages import MAX_CHARS, passages_of, split
from state.models import MaterialKind
from tests.support.course_corpus import SLIDES, graphs_pptx
from tests.support.material_files import blank_pdf, docx_with_headings, locked_pdf, text_pdf


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_pdf_pages_keep_their_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.pdf", text_pdf(["Recursion needs a base case.", "Memoization caches results."]))
    extracted = extract(path, "notes.pdf")
    assert extracted.kind is MaterialKind.pdf
    assert extracted.units == 2
    assert [s.location for s in extracted.sections] == ["p. 1", "p. 2"]
    assert "Memoization caches results." in extracted.sections[1].text


def test_slides_keep_their_numbers_and_speaker_notes(tmp_path: Path) -> None:
    extracted = extract(_write(tmp_path, "deck.pptx", graphs_pptx()), "deck.pptx")
    assert extracted.units == len(SLIDES)
    assert extracted.sections[4].location == "slide 5"
    assert SLIDES[4].title in extracted.sections[4].text
    assert "Speaker notes:" in extracted.sections[1].text  # every other slide has notes


def test_word_and_markdown_sections_are_named_by_their_headings(tmp_path: Path) -> None:
    docx = extract(_write(tmp_path, "reading.docx", docx_with_headings()), "reading.docx")
    assert [s.location for s in docx.sections] == [None, "section “Greedy choice”", "section “Matroids”"]
    markdown = "Intro line.\n\n# Heaps\nA heap keeps the largest key on top.\n\n## Sift down\nSwap with the child.\n"
    md = extract(_write(tmp_path, "notes.md", markdown.encode()), "notes.md")
    assert [s.location for s in md.sections] == [None, "section “Heaps”", "section “Sift down”"]


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("scan.pdf", blank_pdf(), "looks like a scan"),
        ("locked.pdf", locked_pdf(), "password-protected"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "password-protected"),
        ("broken.pptx", b"PK\x03\x04 not really a zip", "not a readable Office file"),
        ("latin1.txt", "Café crème".encode("latin-1"), "not UTF-8 text"),
        ("empty.md", b"   \n\n", "holds no text"),
    ],
)
def test_files_without_usable_text_are_refused_in_words(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    with pytest.raises(MaterialRefused) as refused:
        extract(_write(tmp_path, name, content), name)
    assert words in refused.value.words
    assert refused.value.words.startswith(name)


def test_unsupported_types_are_named() -> None:
    with pytest.raises(MaterialRefused, match=r"cannot read '\.xlsx' files.*PDF, PowerPoint"):
        kind_of("grades.xlsx")
    with pytest.raises(MaterialRefused, match="without an extension"):
        kind_of("README")
    assert kind_of("Notes.PDF") is MaterialKind.pdf


def test_passages_are_cut_at_sentence_ends_and_never_cross_a_page() -> None:
    sentence = "A heap keeps every parent at least as large as its children. "
    pieces = split(sentence * 40)
    assert len(pieces) > 2
    assert all(len(p) <= MAX_CHARS for p in pieces)
    assert all(p.endswith("children.") for p in pieces)
    assert "".join(pieces).replace(" ", "") == (sentence * 40).replace(" ", "")
    from farm.materials.extraction import Section

    found = passages_of([Section("p. 1", "Short page."), Section("p. 2", "Another short page.")])
    assert [(p.location, p.text) for p in found] == [("p. 1", "Short page."), ("p. 2", "Another short page.")]


def test_a_run_on_line_is_cut_at_a_space() -> None:
    words = " ".join(f"word{i}" for i in range(600))
    pieces = split(words)
    assert all(len(p) <= MAX_CHARS for p in pieces)
    assert " ".join(pieces) == words


def test_text_in_grouped_shapes_and_tables_of_a_slide_is_read(tmp_path: Path) -> None:
    import io

    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    group = slide.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1)).text_frame.text = "Grouped: the cut property."
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(3), Inches(4), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "Kruskal", "union-find"
    out = io.BytesIO()
    deck.save(out)
    [section] = extract(_write(tmp_path, "mst.pptx", out.getvalue()), "mst.pptx").sections
    assert "Grouped: the cut property." in section.text and "Kruskal | union-find" in section.text
