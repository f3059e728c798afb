"""Contexts (LiveAvatar's "knowledge base"): a persona prompt, an opening text and FAQ links, stored in memory.

Field names follow docs.liveavatar.com/api-reference/contexts: `name`, `prompt`, `opening_text`, `links[{url,
faq}]`; `${var}` placeholders become `required_dynamic_variables`, filled per session from the token's
`dynamic_variables`. LiveAvatar publishes no size limit for a context; the fake enforces its own, settable ones
(FakeLiveAvatarConfig.max_context_prompt_chars etc.) and answers 422 beyond them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


@dataclass
class ContextLink:
    url: str
    faq: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Context:
    id: str
    name: str
    prompt: str
    opening_text: str
    links: list[ContextLink]
    created_at: float
    updated_at: float

    @property
    def required_dynamic_variables(self) -> list[str]:
        names = _PLACEHOLDER.findall(self.prompt) + _PLACEHOLDER.findall(self.opening_text)
        return sorted(set(names))

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "prompt": self.prompt,
            "opening_text": self.opening_text,
            "required_dynamic_variables": self.required_dynamic_variables,
            "links": [{"url": link.url, "faq": link.faq, "id": link.id} for link in self.links],
        }


@dataclass(frozen=True)
class ResolvedContext:
    """A context as one session sees it: placeholders filled, frozen at token time."""

    id: str
    name: str
    prompt: str
    opening_text: str
    faq: tuple[str, ...]

    def vocabulary_text(self) -> str:
        """Everything the recognizer should expect to hear about: the STT keyword hints."""
        return "\n".join([self.name, self.prompt, self.opening_text, *self.faq])


def fill_placeholders(text: str, variables: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: variables.get(match.group(1), match.group(0)), text)


class ContextStore:
    """In-memory CRUD."""

    def __init__(self) -> None:
        self._contexts: dict[str, Context] = {}

    def create(self, name: str, prompt: str, opening_text: str, links: list[ContextLink], now: float) -> Context:
        context = Context(str(uuid.uuid4()), name, prompt, opening_text, links, now, now)
        self._contexts[context.id] = context
        return context

    def get(self, context_id: str) -> Context | None:
        return self._contexts.get(context_id.lower())

    def all(self) -> list[Context]:
        return sorted(self._contexts.values(), key=lambda context: context.created_at, reverse=True)

    def delete(self, context_id: str) -> bool:
        return self._contexts.pop(context_id.lower(), None) is not None

    def resolve(self, context: Context, variables: dict[str, str]) -> ResolvedContext:
        return ResolvedContext(
            id=context.id,
            name=context.name,
            prompt=fill_placeholders(context.prompt, variables),
            opening_text=fill_placeholders(context.opening_text, variables),
            faq=tuple(link.faq for link in context.links),
        )
