"""What the course-material routes answer: materials, their passages, pins, and the passages an avatar was given."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from state import models

MAX_COURSE_NAME = 200


class MaterialOut(BaseModel):
    id: str
    course: str = Field(description="The course name sessions use (matched without regard to case).")
    filename: str
    kind: models.MaterialKind
    sha256: str
    size: int = Field(description="Bytes.")
    units: int = Field(description="Pages (PDF), slides (PPTX) or sections (DOCX, Markdown, text) read.")
    passages: int
    created_at: datetime

    @classmethod
    def of(cls, m: models.Material) -> MaterialOut:
        return cls(
            id=m.id,
            course=m.course,
            filename=m.filename,
            kind=m.kind,
            sha256=m.sha256,
            size=m.size,
            units=m.units,
            passages=m.passages,
            created_at=datetime.fromtimestamp(m.created_at, tz=UTC),
        )


class MaterialList(BaseModel):
    materials: list[MaterialOut]


class PassageOut(BaseModel):
    id: int
    source: str = Field(description='How the avatar cites it: "algorithms-notes.pdf, p. 28".')
    location: str | None = Field(description='"p. 28", "slide 3", a section; none for plain text.')
    text: str

    @classmethod
    def of(cls, p: models.Passage) -> PassageOut:
        return cls(id=p.id, source=p.source, location=p.location, text=p.text)


class MaterialDetail(MaterialOut):
    passage_list: list[PassageOut]


class PassageList(BaseModel):
    passages: list[PassageOut]


class PinList(BaseModel):
    passages: list[PassageOut] = Field(description="Pinned passages: every avatar start in the room gets them first.")


class GivenPassageOut(BaseModel):
    passage_id: int | None = Field(description="None once its material was deleted.")
    source: str
    excerpt: str
    pinned: bool

    @classmethod
    def of(cls, g: models.GivenPassage) -> GivenPassageOut:
        return cls(passage_id=g.passage_id, source=g.source, excerpt=g.excerpt, pinned=g.pinned)
