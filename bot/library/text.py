"""The search core's text: words, terms, sentences and snippet windows (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.library.search_lang import (
    STOP_WORDS,
    is_kazakh_ending,
    stem,
    word_set,
)
from content.models import Lang

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)
_OPENERS, _CLOSERS = "(«“[", ")»”]"
SNIPPET_MAX = 300  # characters; five results and their titles stay far below 4096
SNIPPET_LEAD = 60  # characters kept before the first matched word when a sentence is cut


def normalise(word: str) -> str:
    return word.casefold().replace("ё", "е")


def words(text: str) -> list[str]:
    """Normalised words as written, hyphenated ones whole ("ВВР-К", «ЯҚТШ-ға»)."""
    return [normalise(match.group(0)) for match in _WORD.finditer(text)]


def term_spans(text: str, lang: Lang) -> Iterator[tuple[int, int, str]]:
    """(start, end, index term) of every word of ``text`` that says what it is about.

    Hyphenated words count by their parts («Невада-Семипалатинск» is found by «Семипалатинск»);
    a Kazakh ending after a hyphen («ЯҚТШ-ға») and single letters are no terms of their own.
    """
    stop = STOP_WORDS[lang]
    for match in _WORD.finditer(text):
        start = match.start()
        for number, part in enumerate(match.group(0).split("-")):
            end = start + len(part)
            word = normalise(part)
            kazakh_ending = number and lang == "kk" and is_kazakh_ending(word)
            if not kazakh_ending and word not in stop and (len(word) > 1 or word.isdigit()):
                yield start, end, stem(word, lang)
            start = end + 1


def terms(text: str, lang: Lang) -> list[str]:
    return [term for _, _, term in term_spans(text, lang)]


# A sentence ends at . ! ? … followed by a space and a capital or a digit, or at a line break;
# not inside brackets or quotes («Манифест: мир. XXI век»), not after an initial or a short
# abbreviation («англ.», "No.").
_END = re.compile(r"[.!?…]+[»”\")]*\s+(?=[^\s\W_a-zа-яёәғқңөұүһі]|[«“(\"—–-])|\n+")


_ABBREVIATIONS = word_set(
    "г гг англ каз рус др см ст т н е им тыс млн млрд no nos st mr mrs dr vs art p pp e.g i.e ж"
)


def sentences(text: str) -> list[str]:
    found: list[str] = []
    start = 0
    for match in _END.finditer(text):
        piece = text[start : match.start() + 1]
        if match.group(0)[0] != "\n" and not _sentence_may_end(piece):
            continue
        found.append(text[start : match.end()].strip())
        start = match.end()
    found.append(text[start:].strip())
    return [sentence for sentence in found if sentence]


def _sentence_may_end(piece: str) -> bool:
    depth = sum(piece.count(c) for c in _OPENERS) - sum(piece.count(c) for c in _CLOSERS)
    if depth > 0:
        return False
    last = piece.rstrip('.!?…»”")').rsplit(None, 1)[-1] if piece.strip() else ""
    last = last.lstrip('(«“"')
    return not (normalise(last) in _ABBREVIATIONS or (len(last) == 1 and last.isupper()))


def snippet_window(
    text: str, spans: list[tuple[int, int]], budget: int = SNIPPET_MAX
) -> tuple[int, int]:
    """The part of ``text`` to show: all of it when short; else at most SNIPPET_MAX characters
    holding as many matched words as fit, starting a little before the first of them, cut only
    at spaces (never inside a word, never before the matched words)."""
    if len(text) <= budget:
        return 0, len(text)
    best_begin, best_count = 0, -1
    for start, _ in spans or [(0, 0)]:
        begin = max(0, start - SNIPPET_LEAD)
        count = sum(1 for s, e in spans if begin <= s and e <= begin + budget)
        if count > best_count:
            best_begin, best_count = begin, count
    begin = best_begin
    if begin:
        # Start at the word that holds position ``begin``: after the space before it.
        space = text.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 else 0
    end = min(len(text), begin + budget)
    if end < len(text):
        space = text.rfind(" ", begin, end + 1)
        end = space if space > begin else end
    return begin, end
