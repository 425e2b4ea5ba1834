"""What search indexes and finds: documents and hits (the views render these)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DocumentKind(StrEnum):
    TOPIC = "topic"  # a topic's card: its title and summary
    SECTION = "section"
    FACT = "fact"
    TERM = "term"  # a glossary term


@dataclass(frozen=True, slots=True)
class Document:
    kind: DocumentKind
    ref: str  # topic id, "topic/section", fact id, term id
    topic: str | None
    title: str
    text: str
    context: str = ""  # the topic's title and keywords: what the document is about


@dataclass(frozen=True, slots=True)
class Hit:
    document: Document
    score: float
    snippet: str
    matched: frozenset[str]  # surface words of the snippet that matched, for highlighting
    section: Document | None  # the section the result opens; None: its topic's card
