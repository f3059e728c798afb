"""Taking in a course file: its text read (off the event loop), cut into passages, the file kept by its hash
and the passages indexed — all of it, or nothing when the file is refused; and removing one again."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from farm.materials.extraction import MaterialRefused, extract
from farm.materials.files import IncomingFile, MaterialFiles
from farm.materials.passages import passages_of
from state.materials_repository import MaterialsRepository
from state.models import Material

MAX_FILENAME = 120
_UNSAFE = re.compile(r"[\[\]\x00-\x1f\x7f]+")


def clean_filename(raw: str) -> str:
    """The name a citation shows: the last part of the uploaded path, without control characters or brackets
    (the avatar's context writes sources in brackets)."""
    name = PureWindowsPath(PurePosixPath(raw).name).name
    name = _UNSAFE.sub(" ", unicodedata.normalize("NFC", name))
    name = " ".join(name.split())
    if len(name) > MAX_FILENAME:
        stem, dot, suffix = name.rpartition(".")
        name = stem[: MAX_FILENAME - len(suffix) - 2] + "…" + dot + suffix if dot else name[:MAX_FILENAME]
    return name


async def take_in(
    repository: MaterialsRepository,
    files: MaterialFiles,
    *,
    owner_id: str,
    course: str,
    filename: str,
    incoming: IncomingFile,
) -> tuple[Material, bool]:
    """Store a received file as professor `owner_id`'s material of `course`; (material, False) when the course
    already has this file.
    Raises MaterialRefused; on any failure the received file is gone and nothing is indexed."""
    incoming.close()
    try:
        if incoming.size == 0:
            raise MaterialRefused(f"{filename} is empty.")
        extracted = await asyncio.to_thread(extract, incoming.path, filename)
        passages = passages_of(extracted.sections)
        if not passages:
            raise MaterialRefused(f"{filename} holds no text an avatar could use.")
    except BaseException:
        incoming.discard()
        raise
    sha256, size = incoming.sha256, incoming.size
    files.keep(incoming)
    try:
        return await repository.add(
            owner_id=owner_id,
            course=course,
            filename=filename,
            kind=extracted.kind,
            sha256=sha256,
            size=size,
            units=extracted.units,
            passages=[(p.location, p.text) for p in passages],
        )
    except BaseException:
        if not await asyncio.shield(repository.file_in_use(sha256)):
            files.remove(sha256)
        raise


async def remove(repository: MaterialsRepository, files: MaterialFiles, material_id: str) -> Material:
    """Delete a material; its file goes too unless another course holds the same one. Raises NotFound."""
    material, shared = await repository.delete(material_id)
    if not shared:
        files.remove(material.sha256)
    return material
