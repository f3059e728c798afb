"""The text of an uploaded course file, page by page (PDF), slide by slide (PPTX) or section by section (DOCX,
Markdown, plain text), with pypdf, python-pptx and python-docx. A file that cannot give text is refused in
words a professor can act on: a scan without a text layer, a password-protected file, a type we do not read.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from state.models import MaterialKind

# Office files are zip archives: refuse one that would unpack to more than this (a zip bomb), whatever its size.
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
# A PDF whose pages hold fewer letters than this in all is a scan (or drawings): nothing an avatar could quote.
MIN_LETTERS = 40

# Encrypted Office files (a password to open) are not zip archives but OLE compound files.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXTENSIONS = {
    ".pdf": MaterialKind.pdf,
    ".pptx": MaterialKind.pptx,
    ".docx": MaterialKind.docx,
    ".md": MaterialKind.markdown,
    ".markdown": MaterialKind.markdown,
    ".txt": MaterialKind.text,
    ".text": MaterialKind.text,
}
SUPPORTED = "PDF, PowerPoint (.pptx), Word (.docx), Markdown (.md) or plain text (.txt)"
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LETTER = re.compile(r"[^\W\d_]")


class MaterialRefused(Exception):
    """The file cannot be used; `words` say why and what to do."""

    def __init__(self, words: str) -> None:
        super().__init__(words)
        self.words = words


@dataclass(frozen=True)
class Section:
    """The text of one page, slide or section; `location` is how a citation names it ("p. 28", "slide 3")."""

    location: str | None
    text: str


@dataclass(frozen=True)
class Extracted:
    kind: MaterialKind
    units: int  # pages, slides or sections read
    sections: tuple[Section, ...]


def kind_of(filename: str) -> MaterialKind:
    """The kind of material a file name says it is; refused when we do not read that type."""
    suffix = PurePath(filename).suffix.lower()
    kind = _EXTENSIONS.get(suffix)
    if kind is None:
        shown = f"'{suffix}' files" if suffix else "files without an extension"
        raise MaterialRefused(f"{filename}: avatarfarm cannot read {shown}. Upload a {SUPPORTED} file.")
    return kind


def extract(path: Path, filename: str) -> Extracted:
    """Read the text of the file at `path`, uploaded as `filename`. Raises MaterialRefused."""
    kind = kind_of(filename)
    with path.open("rb") as file:
        head = file.read(8)
    if kind in (MaterialKind.pptx, MaterialKind.docx):
        if head.startswith(_OLE_MAGIC):
            raise MaterialRefused(
                f"{filename} is password-protected. Save a copy without a password (File → Info → Protect) "
                "and upload that."
            )
        _check_archive(path, filename)
    if kind is MaterialKind.pdf:
        sections = _pdf(path, filename)
    elif kind is MaterialKind.pptx:
        sections = _pptx(path, filename)
    elif kind is MaterialKind.docx:
        sections = _docx(path, filename)
    else:
        sections = _plain(path, filename, markdown=kind is MaterialKind.markdown)
    kept = tuple(s for s in sections if s.text.strip())
    if not kept:
        raise MaterialRefused(f"{filename} holds no text an avatar could use.")
    return Extracted(kind=kind, units=len(sections), sections=kept)


def _check_archive(path: Path, filename: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise MaterialRefused(
            f"{filename} is not a readable Office file ({exc}). Open it and save it again, then upload it."
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise MaterialRefused(
            f"{filename} unpacks to {unpacked // (1024 * 1024)} MB, more than avatarfarm reads "
            f"({MAX_UNPACKED_BYTES // (1024 * 1024)} MB). Split it, or remove large pictures and videos."
        )


def _pdf(path: Path, filename: str) -> list[Section]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            # Opening it needs a password (an empty one only restricts printing or copying, and is read).
            raise MaterialRefused(f"{filename} is password-protected. Save a copy without a password and upload that.")
        sections = [Section(f"p. {number}", page.extract_text() or "") for number, page in enumerate(reader.pages, 1)]
    except MaterialRefused:
        raise
    except FileNotDecryptedError:
        raise _locked(filename) from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise MaterialRefused(
            f"{filename} is not a readable PDF ({exc}). Export it to PDF again, then upload it."
        ) from None
    letters = sum(len(_LETTER.findall(s.text)) for s in sections)
    if letters < MIN_LETTERS:
        raise MaterialRefused(
            f"{filename} has no text to read: it looks like a scan (pictures of pages). Run text recognition "
            "(OCR) on it, or upload the original document."
        )
    return sections


def _locked(filename: str) -> MaterialRefused:
    return MaterialRefused(f"{filename} is password-protected. Save a copy without a password and upload that.")


def _pptx(path: Path, filename: str) -> list[Section]:
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        deck = Presentation(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise MaterialRefused(f"{filename} is not a readable PowerPoint file ({exc}).") from None
    sections = []
    for number, slide in enumerate(deck.slides, 1):
        parts = _shape_texts(slide.shapes)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
            if notes:
                parts.append(f"Speaker notes: {notes}")
        sections.append(Section(f"slide {number}", "\n".join(p for p in parts if p.strip())))
    return sections


def _shape_texts(shapes: Iterable[Any]) -> list[str]:
    """The text of a slide's shapes in their order: text boxes, tables, and the shapes inside groups."""
    parts: list[str] = []
    for shape in shapes:
        if getattr(shape, "has_text_frame", False):
            parts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False):
            parts.extend(" | ".join(cell.text for cell in row.cells) for row in shape.table.rows)
        if hasattr(shape, "shapes"):  # a group
            parts.extend(_shape_texts(shape.shapes))
    return parts


def _docx(path: Path, filename: str) -> list[Section]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise MaterialRefused(f"{filename} is not a readable Word file ({exc}).") from None
    # Word files have no pages until they are laid out: a passage is cited by the heading it falls under.
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.lower().startswith(("heading", "title")) and paragraph.text.strip():
            sections.append(Section(heading, "\n".join(lines)))
            heading, lines = _section_name(paragraph.text), [paragraph.text]
        else:
            lines.append(paragraph.text)
    sections.append(Section(heading, "\n".join(lines)))
    for number, table in enumerate(document.tables, 1):
        rows = [" | ".join(cell.text for cell in row.cells) for row in table.rows]
        sections.append(Section(f"table {number}", "\n".join(rows)))
    return sections


def _plain(path: Path, filename: str, *, markdown: bool) -> list[Section]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MaterialRefused(
            f"{filename} is not UTF-8 text. Save it as UTF-8 (most editors offer it under 'Save as'), "
            f"or upload a {SUPPORTED} file."
        ) from None
    if "\x00" in text:
        raise MaterialRefused(f"{filename} is not a text file. Upload a {SUPPORTED} file.")
    if not markdown:
        return [Section(None, text)]
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    for line in io.StringIO(text):
        match = _HEADING.match(line.rstrip("\n"))
        if match:
            sections.append(Section(heading, "".join(lines)))
            heading, lines = _section_name(match.group(2)), [line]
        else:
            lines.append(line)
    sections.append(Section(heading, "".join(lines)))
    return sections


def _section_name(heading: str) -> str:
    words = " ".join(heading.split())
    return f"section “{words}”" if len(words) <= 60 else f"section “{words[:59]}…”"
