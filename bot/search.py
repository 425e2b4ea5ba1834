"""Full-text search over the curated content: stemmed, typo-tolerant, ranked (pure, no I/O).

Russian and English words are reduced by Snowball stemmers ("полигона" and "полигон" meet);
Kazakh has no Snowball stemmer, so its words are cut to a prefix, which handles its suffixing
morphology well enough for short queries. A query word that is not in the index is matched to
index words within a small edit distance (rapidfuzz), at a lower weight. Scores are BM25 with
field boosts: titles and keywords count more than body text.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from content.loader import Catalog
from content.models import LANGS, Lang

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_STEMMERS = {"ru": snowballstemmer.stemmer("russian"), "en": snowballstemmer.stemmer("english")}
KK_PREFIX = 6
TYPO_WEIGHT = 0.6
BM25_K1 = 1.2
BM25_B = 0.75
MAX_QUERY_WORDS = 12


@dataclass(frozen=True, slots=True)
class Document:
    kind: str  # "topic", "section", "fact", "term"
    ref: str  # topic id, "topic/section", fact id, term id
    topic: str | None
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    document: Document
    score: float
    snippet: str
    matched: frozenset[str]  # surface words of the snippet that matched, for highlighting


def normalise(word: str) -> str:
    return word.casefold().replace("ё", "е")


def words(text: str) -> list[str]:
    return [normalise(match.group(0)) for match in _WORD.finditer(text)]


@lru_cache(maxsize=65536)
def stem(word: str, lang: Lang) -> str:
    stemmer = _STEMMERS.get(lang)
    if stemmer is None:
        return word[:KK_PREFIX]
    # Cyrillic words in an English query (and Latin ones in Russian) get their own stemmer.
    if lang == "en" and not word.isascii():
        stemmer = _STEMMERS["ru"]
    result: str = stemmer.stemWord(word)
    return result


def stems(text: str, lang: Lang) -> list[str]:
    return [stem(word, lang) for word in words(text)]


class SearchIndex:
    """An inverted index for one language."""

    def __init__(self, lang: Lang, documents: list[Document]) -> None:
        self.lang = lang
        self.documents = documents
        self._postings: dict[str, dict[int, float]] = defaultdict(dict)
        lengths: list[float] = []
        for number, document in enumerate(documents):
            weights: dict[str, float] = defaultdict(float)
            for term in stems(document.title, lang):
                weights[term] += 3.0
            for term in stems(document.text, lang):
                weights[term] += 1.0
            lengths.append(float(sum(weights.values())))
            for term, weight in weights.items():
                self._postings[term][number] = weight
        self._lengths = lengths
        self._average = sum(lengths) / len(lengths) if lengths else 1.0
        self._vocabulary = list(self._postings)
        # Snippets pick a document's best sentence for the query: its words are split and
        # stemmed here, once, instead of for every hit of every search.
        self._sentences = [
            [_Sentence.of(sentence, lang) for sentence in _SENTENCE.split(document.text)]
            for document in documents
        ]

    def _idf(self, term: str) -> float:
        frequency = len(self._postings.get(term, ()))
        total = len(self.documents)
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))

    def _expand(self, term: str) -> list[tuple[str, float]]:
        """The term itself if indexed, else index terms within a small edit distance."""
        if term in self._postings:
            return [(term, 1.0)]
        if len(term) < 4:
            return []
        limit = 1 if len(term) < 8 else 2
        matches = process.extract(
            term, self._vocabulary, scorer=Levenshtein.distance, score_cutoff=limit, limit=3
        )
        return [(candidate, TYPO_WEIGHT) for candidate, _, _ in matches]

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        query_terms = list(dict.fromkeys(stems(query, self.lang)))[:MAX_QUERY_WORDS]
        scores: dict[int, float] = defaultdict(float)
        coverage: dict[int, set[str]] = defaultdict(set)
        matched_terms: set[str] = set()
        for query_term in query_terms:
            for term, weight in self._expand(query_term):
                matched_terms.add(term)
                idf = self._idf(term)
                for number, frequency in self._postings[term].items():
                    norm = 1 - BM25_B + BM25_B * self._lengths[number] / self._average
                    bm25 = frequency * (BM25_K1 + 1) / (frequency + BM25_K1 * norm)
                    scores[number] += weight * idf * bm25
                    coverage[number].add(query_term)
        # Documents that match more of the query words rank first, then by BM25.
        ranked = sorted(
            scores, key=lambda number: (len(coverage[number]), scores[number]), reverse=True
        )
        return [self._hit(number, scores[number], matched_terms) for number in ranked[:limit]]

    def _hit(self, number: int, score: float, terms: set[str]) -> Hit:
        best = max(self._sentences[number], key=lambda sentence: sentence.matches(terms))
        text = best.text
        snippet = text if len(text) <= 220 else text[:217].rsplit(" ", 1)[0] + "…"
        surface = frozenset(word for word, term in best.words if term in terms and word in snippet)
        return Hit(self.documents[number], score, snippet, surface)


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    words: tuple[tuple[str, str], ...]  # (the word as written, its index term)
    counts: dict[str, int]  # index term -> how often it occurs

    @classmethod
    def of(cls, text: str, lang: Lang) -> _Sentence:
        found = (match.group(0) for match in _WORD.finditer(text))
        words = tuple((word, stem(normalise(word), lang)) for word in found)
        return cls(text, words, dict(Counter(term for _, term in words)))

    def matches(self, terms: set[str]) -> int:
        """How many of the sentence's words are query terms (a query has few terms)."""
        return sum(self.counts.get(term, 0) for term in terms)


def build_indexes(catalog: Catalog) -> dict[Lang, SearchIndex]:
    return {lang: SearchIndex(lang, list(_documents(catalog, lang))) for lang in LANGS}


def _documents(catalog: Catalog, lang: Lang) -> list[Document]:
    documents: list[Document] = []
    for topic in catalog.topics.values():
        keywords = " ".join(topic.keywords.get(lang)) if topic.keywords else ""
        documents.append(
            Document(
                "topic",
                topic.id,
                topic.id,
                topic.title.get(lang),
                f"{topic.summary.get(lang)} {keywords}".strip(),
            )
        )
        documents += [
            Document(
                "section",
                f"{topic.id}/{section.id}",
                topic.id,
                section.title.get(lang),
                section.body.get(lang),
            )
            for section in topic.sections
        ]
        documents += [
            Document("fact", fact.id, topic.id, topic.title.get(lang), fact.text.get(lang))
            for fact in topic.facts
        ]
    for term in catalog.glossary:
        abbr = term.abbr.get(lang) if term.abbr else ""
        note = term.note.get(lang) if term.note else ""
        documents.append(
            Document(
                "term",
                term.id,
                term.topic,
                f"{abbr} {term.name.get(lang)}".strip(),
                note or term.name.get(lang),
            )
        )
    return documents
