"""Search: morphology, typos, ranking."""

from __future__ import annotations

from bot.search import Document, SearchIndex, stem
from bot.services.library import Library
from content.loader import Catalog

DOCS = [
    Document("section", "a/1", "a", "Семипалатинский полигон", "Полигон закрыт в 1991 году."),
    Document(
        "section",
        "b/1",
        "b",
        "Банк НОУ МАГАТЭ",
        "Банк низкообогащённого урана открыт в 2017 году.",
    ),
    Document(
        "fact",
        "c",
        "c",
        "ДНЯО",
        "Казахстан присоединился к договору в 1994 году, полигон упомянут.",
    ),
]


def test_russian_stemming_joins_word_forms() -> None:
    assert stem("полигона", "ru") == stem("полигон", "ru") == stem("полигоне", "ru")
    assert stem("treaties", "en") == stem("treaty", "en")


def test_title_matches_rank_first() -> None:
    index = SearchIndex("ru", DOCS)
    hits = index.search("полигоне")
    assert [hit.document.ref for hit in hits][:2] == ["a/1", "c"]


def test_more_query_words_matched_ranks_higher() -> None:
    index = SearchIndex("ru", DOCS)
    assert index.search("банк урана")[0].document.ref == "b/1"


def test_typo_tolerance() -> None:
    index = SearchIndex("ru", DOCS)
    assert index.search("палигон")[0].document.ref == "a/1"
    assert index.search("zzzzzz") == []


def test_snippet_highlights_matched_words() -> None:
    hit = SearchIndex("ru", DOCS).search("урана")[0]
    assert "урана" in hit.matched
    assert "урана" in hit.snippet


def test_query_in_another_language_falls_back(catalog: Catalog) -> None:
    library = Library(catalog)
    hits = library.search("полигона", "en")
    assert hits and hits[0].document.topic == "semipalatinsk"
