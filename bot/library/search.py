"""Full-text search that answers: it ranks sentences, not sections (pure, no I/O).

A student asks "when did the LEU bank open"; the answer is one sentence somewhere in a section
about the bank. So every sentence of the content is a unit of the index, scored by BM25 over its
own words, plus what its section says about it: the section's title and the topic's title and
keywords (a sentence "It opened on 29 August 2017" belongs to "The IAEA LEU Bank"). Results are
the best sentence of each section, one result per section, and the snippet is that sentence,
windowed around the matched words when it is long, so it is never cut before the answer.

Words and sentences: see ``bot.library.text``; languages (stemming, Kazakh endings, question
words): ``bot.library.search_lang``. A query word that is not in the index is matched to index
words within a small edit distance (rapidfuzz), at a lower weight. A question that asks for a
date or a number prefers sentences that hold one.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.library.search_lang import (
    answer_kinds,
    wanted_answer,
)
from bot.library.text import (
    SNIPPET_MAX,
    sentences,
    snippet_window,
    term_spans,
    terms,
    words,
)
from bot.library.types import Document, DocumentKind, Hit
from content.loader import Catalog
from content.models import LANGS, Lang

TYPO_WEIGHT = 0.6
PREFIX_WEIGHT = 0.6  # «expiry» and «expire» (stems "expiri" and "expir")
PREFIX_MIN = 5  # shorter stems extend into unrelated words
PREFIX_SLACK = 3
ALIAS_WEIGHT = 1.0  # an abbreviation's full name (from the glossary), shared among its words
BM25_K1 = 1.2
BM25_B = 0.75
MAX_QUERY_WORDS = 12
TITLE_WEIGHT = 0.6  # a query word in the section's title, for each of its sentences
TOPIC_WEIGHT = 0.3  # in the topic's title or keywords
COVERAGE_POWER = 2  # a sentence's score is scaled by (query words it covers / all) ** this
NEIGHBOUR_WEIGHT = 0.5  # a query word in the sentence before, for the next one
ANSWER_BONUS = 0.5  # a sentence holding the kind of answer asked for (a date, a number)
SECOND_MAX = 200  # the runner-up sentence of a result
SECOND_SHARE = 0.6  # shown when it scores at least this share of the best one
SEARCH_CACHE = 2048  # queries per language whose results are kept


@dataclass(slots=True)
class _Matches:
    """What a query's words found: scores and covered query words (bit masks) of sentences
    and of documents (by their context), the index terms matched, and the sentences that a
    word in the sentence before helped."""

    sentence_score: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    sentence_cover: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    document_score: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    document_cover: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    terms: set[str] = field(default_factory=set)
    lean_on_previous: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Sentence:
    document: int
    text: str
    spans: tuple[tuple[int, int, str], ...]  # (start, end, index term) of its words
    answers: tuple[float, ...]  # see search_lang.answer_kinds


class SearchIndex:
    """An inverted index of sentences for one language."""

    def __init__(
        self, lang: Lang, documents: list[Document], aliases: dict[str, str] | None = None
    ) -> None:
        """``aliases``: abbreviation -> full name ("TPNW" -> "Treaty on the Prohibition ...")."""
        self.lang = lang
        self.documents = documents
        self._sentences: list[_Sentence] = []
        self._first: list[int] = []  # each document's first sentence: its lead
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for number, document in enumerate(documents):
            self._first.append(len(self._sentences))
            for text in sentences(document.text) or [document.title]:
                spans = tuple(term_spans(text, lang))
                for term, count in Counter(term for _, _, term in spans).items():
                    postings[term].append((len(self._sentences), count))
                self._sentences.append(_Sentence(number, text, spans, answer_kinds(text)))
        lengths = [len(sentence.spans) or 1 for sentence in self._sentences]
        average = sum(lengths) / len(lengths) if lengths else 1.0
        # BM25's term-frequency part depends on the sentence only: computed here, once.
        self._postings: dict[str, list[tuple[int, float]]] = {
            term: [
                (
                    index,
                    count
                    * (BM25_K1 + 1)
                    / (count + BM25_K1 * (1 - BM25_B + BM25_B * lengths[index] / average)),
                )
                for index, count in found
            ]
            for term, found in postings.items()
        }
        # A document's context: its title and the topic's title and keywords.
        self._context: dict[str, dict[int, float]] = defaultdict(dict)
        for number, document in enumerate(documents):
            for weight, text in ((TOPIC_WEIGHT, document.context), (TITLE_WEIGHT, document.title)):
                for term in terms(text, lang):
                    self._context[term][number] = weight
        self._idf = {
            term: math.log(1 + (len(self._sentences) + 0.5) / (len(found) + 0.5))
            for term, found in postings.items()
        }
        self._rare = math.log(1 + (len(self._sentences) + 0.5) / 0.5)
        self._sections = self._attach_to_sections()
        self._document_of = [sentence.document for sentence in self._sentences]
        # The next sentence of the same document, or -1.
        self._following = [
            index + 1
            if index + 1 < len(self._document_of) and self._document_of[index + 1] == n
            else -1
            for index, n in enumerate(self._document_of)
        ]
        self._answers = list(zip(*(sentence.answers for sentence in self._sentences), strict=True))
        # What a result opens: a section, or (-1 - the topic's own document) for its card.
        topic_documents = {
            d.topic: n for n, d in enumerate(documents) if d.kind == DocumentKind.TOPIC
        }
        self._target_of: list[int] = []
        for number in self._document_of:
            section = self._sections[number]
            card = -1 - topic_documents.get(self.documents[number].topic, number)
            self._target_of.append(section if section is not None else card)
        # Results are a pure function of the query: popular questions are answered once.
        self._cached_search = lru_cache(maxsize=SEARCH_CACHE)(self._search)
        self._vocabulary = sorted(set(self._postings) | set(self._context))
        self._vocabulary_set = frozenset(self._vocabulary)
        self._aliases = {
            terms(abbreviation, lang)[0]: terms(name, lang)
            for abbreviation, name in (aliases or {}).items()
            if len(terms(abbreviation, lang)) == 1 and terms(name, lang)
        }

    def _expand(self, term: str) -> list[tuple[str, float]]:
        """Index terms that stand for a query term, with their weights: the term itself;
        the full name of an abbreviation (TPNW: its words share the weight); words that
        differ from it only by an ending the stemmer left («төрағалық», «төраға»); and, for
        a word not in the index, index words within a small edit distance (typos)."""
        found: list[tuple[str, float]] = []
        if term in self._postings or term in self._context:
            found.append((term, 1.0))
        name = self._aliases.get(term, [])
        found += [(word, ALIAS_WEIGHT / len(name)) for word in name]
        if len(term) >= PREFIX_MIN:
            found += [(word, PREFIX_WEIGHT) for word in self._relatives(term)]
        if found or len(term) < 4:
            return found
        limit = 1 if len(term) < 8 else 2
        matches = process.extract(
            term, self._vocabulary, scorer=Levenshtein.distance, score_cutoff=limit, limit=3
        )
        return [(candidate, TYPO_WEIGHT) for candidate, _, _ in matches]

    def _relatives(self, term: str) -> list[str]:
        """Index terms that extend ``term`` or that it extends by at most PREFIX_SLACK letters."""
        shorter = [
            term[:length]
            for length in range(max(PREFIX_MIN, len(term) - PREFIX_SLACK), len(term))
            if term[:length] in self._vocabulary_set
        ]
        start = bisect.bisect_right(self._vocabulary, term)
        longer = []
        for word in self._vocabulary[start:]:
            if not word.startswith(term) or len(word) - len(term) > PREFIX_SLACK:
                break
            longer.append(word)
        return shorter + longer

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        return list(self._cached_search(query, limit))

    def _search(self, query: str, limit: int) -> tuple[Hit, ...]:
        query_terms = list(dict.fromkeys(terms(query, self.lang)))[:MAX_QUERY_WORDS]
        if not query_terms:  # only question words («когда?»): nothing to look for
            return ()
        found = self._match(query_terms)
        # Sections about the query whose sentences do not name it are offered by their lead.
        candidates = set(found.sentence_score)
        candidates.update(self._first[number] for number in found.document_score)
        kind = wanted_answer(words(query), self.lang)
        answers = self._answers[kind] if kind is not None else None
        scale = [(covered / len(query_terms)) ** COVERAGE_POWER for covered in range(64)]
        scored: list[tuple[float, int]] = []
        for index in candidates:
            number = self._document_of[index]
            cover = found.sentence_cover.get(index, 0) | found.document_cover.get(number, 0)
            # Words of the query a sentence lacks weigh more than BM25's sum says: a sentence
            # that names one rare word twice is not the answer to a question of three words.
            score = found.sentence_score.get(index, 0.0) + found.document_score.get(number, 0.0)
            score *= scale[cover.bit_count()]
            if answers is not None:
                score *= 1 + ANSWER_BONUS * answers[index]
            scored.append((score, -index))  # the first sentence wins a tie
        scored.sort(reverse=True)
        return tuple(
            self._hit(ranked, found.terms, found.lean_on_previous)
            for ranked in self._per_target(scored, limit)
        )

    def _match(self, query_terms: list[str]) -> _Matches:
        found = _Matches()
        for bit, query_term in enumerate(query_terms):
            # A query word counts once per sentence, by the best of the terms it stands for.
            in_sentence: dict[int, float] = {}
            in_document: dict[int, float] = {}
            for term, weight in self._expand(query_term):
                found.terms.add(term)
                idf = weight * self._idf.get(term, self._rare)
                for index, frequency in self._postings.get(term, ()):
                    value = idf * frequency
                    if value > in_sentence.get(index, 0.0):
                        in_sentence[index] = value
                for number, context in self._context.get(term, {}).items():
                    value = idf * context
                    if value > in_document.get(number, 0.0):
                        in_document[number] = value
            # "It entered into force on 22 January 2021" is about what the sentence before
            # it names: a word there counts for the next sentence of the document too.
            for index, value in list(in_sentence.items()):
                after = self._following[index]
                carried = NEIGHBOUR_WEIGHT * value
                if after >= 0 and carried > in_sentence.get(after, 0.0):
                    in_sentence[after] = carried
                    found.lean_on_previous.add(after)
            for index, value in in_sentence.items():
                found.sentence_score[index] += value
                found.sentence_cover[index] |= 1 << bit
            for number, value in in_document.items():
                found.document_score[number] += value
                found.document_cover[number] |= 1 << bit
        return found

    def _per_target(
        self, scored: list[tuple[float, int]], limit: int
    ) -> list[list[tuple[float, int]]]:
        """The best two sentences of each of the ``limit`` best results (what a result opens:
        a section, or a topic's card), from (score, -sentence) pairs sorted best first."""
        best: dict[int, list[tuple[float, int]]] = {}
        full = 0
        for score, negative in scored:
            ranked = best.setdefault(self._target_of[-negative], [])
            if len(best) > limit and not ranked:
                best.popitem()  # one more result than is shown
                continue
            if len(ranked) < 2:
                ranked.append((score, negative))
                full += len(ranked) == 2
                if full == limit:
                    break
        return list(best.values())

    def _attach_to_sections(self) -> list[int | None]:
        """For each document, the section of its topic that a result from it opens.

        A fact or a glossary term opens the section of its topic that shares the most of its
        rare words (the one that tells the same story at length); the topic's summary opens
        its card. Results are one per section, so five results are five different buttons.
        """
        words_of: list[set[str]] = [set() for _ in self.documents]
        for sentence in self._sentences:
            words_of[sentence.document].update(term for _, _, term in sentence.spans)
        sections: dict[str | None, list[int]] = defaultdict(list)
        for number, document in enumerate(self.documents):
            if document.kind == DocumentKind.SECTION:
                sections[document.topic].append(number)
        attached: list[int | None] = []
        for number, document in enumerate(self.documents):
            if document.kind == DocumentKind.SECTION:
                attached.append(number)
                continue
            candidates = (
                sections.get(document.topic, []) if document.kind != DocumentKind.TOPIC else []
            )
            shared = {
                section: sum(self._idf[term] for term in words_of[number] & words_of[section])
                for section in candidates
            }
            best = max(shared, key=lambda section: shared[section], default=None)
            attached.append(best if best is not None and shared[best] > 0 else None)
        return attached

    def _hit(
        self, ranked: list[tuple[float, int]], matched: set[str], lean_on_previous: set[int]
    ) -> Hit:
        """A result: its best sentence, and the runner-up from the same section when it
        scores close (a section's fact and its body may each hold half of the answer)."""
        score, first = ranked[0]
        indexes = [-first]
        if len(ranked) > 1 and ranked[1][0] >= SECOND_SHARE * score:
            indexes.append(-ranked[1][1])
        parts: list[str] = []
        surface: set[str] = set()
        for budget, index in zip((SNIPPET_MAX, SECOND_MAX), indexes, strict=False):
            text, found = self._passage(index, matched, index in lean_on_previous, budget)
            begin, end = snippet_window(text, found, budget)
            surface.update(text[a:b] for a, b in found if begin <= a and b <= end)
            parts.append(
                ("…" if begin else "") + text[begin:end] + ("…" if end < len(text) else "")
            )
        sentence = self._sentences[-first]
        section = self._sections[sentence.document]
        opens = self.documents[section] if section is not None else None
        return Hit(
            self.documents[sentence.document], score, " ".join(parts), frozenset(surface), opens
        )

    def _passage(
        self, index: int, matched: set[str], with_previous: bool, budget: int
    ) -> tuple[str, list[tuple[int, int]]]:
        """A sentence's text and where its matched words are; with the sentence before it
        when that one names what this one is about ("It opened ...") and both fit."""
        sentence = self._sentences[index]
        text, spans = sentence.text, sentence.spans
        previous = self._sentences[index - 1]
        if with_previous and len(previous.text) + len(text) < budget:
            shift = len(previous.text) + 1
            text = f"{previous.text} {text}"
            spans = previous.spans + tuple((a + shift, b + shift, t) for a, b, t in spans)
        return text, [(start, end) for start, end, term in spans if term in matched]


def build_indexes(catalog: Catalog) -> dict[Lang, SearchIndex]:
    return {
        lang: SearchIndex(lang, _documents(catalog, lang), _abbreviations(catalog, lang))
        for lang in LANGS
    }


def _abbreviations(catalog: Catalog, lang: Lang) -> dict[str, str]:
    return {term.abbr.get(lang): term.name.get(lang) for term in catalog.glossary if term.abbr}


def _documents(catalog: Catalog, lang: Lang) -> list[Document]:
    documents: list[Document] = []
    for topic in catalog.topics.values():
        keywords = " ".join(topic.keywords.get(lang)) if topic.keywords else ""
        about = f"{topic.title.get(lang)} {keywords}"
        title = topic.title.get(lang)
        documents.append(
            Document(
                DocumentKind.TOPIC, topic.id, topic.id, title, topic.summary.get(lang), keywords
            )
        )
        documents += [
            Document(
                DocumentKind.SECTION,
                f"{topic.id}/{section.id}",
                topic.id,
                section.title.get(lang),
                section.body.get(lang),
                about,
            )
            for section in topic.sections
        ]
        documents += [
            Document(DocumentKind.FACT, fact.id, topic.id, title, fact.text.get(lang), keywords)
            for fact in topic.facts
        ]
    for term in catalog.glossary:
        abbr = term.abbr.get(lang) if term.abbr else ""
        note = term.note.get(lang) if term.note else ""
        name = term.name.get(lang)
        documents.append(
            Document(
                DocumentKind.TERM, term.id, term.topic, f"{abbr} {name}".strip(), note or name
            )
        )
    return documents
