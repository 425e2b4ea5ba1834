"""Search: morphology, typos, ranking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import FakeClock
from bot.library import views
from bot.library.search import SearchIndex
from bot.library.search_lang import stem
from bot.library.service import Library
from bot.library.text import SNIPPET_LEAD, SNIPPET_MAX, sentences, snippet_window, terms
from bot.library.types import Document, DocumentKind
from bot.telegram.i18n import Translator
from content.loader import Catalog

DOCS = [
    Document(
        DocumentKind.SECTION, "a/1", "a", "Семипалатинский полигон", "Полигон закрыт в 1991 году."
    ),
    Document(
        DocumentKind.SECTION,
        "b/1",
        "b",
        "Банк НОУ МАГАТЭ",
        "Банк низкообогащённого урана открыт в 2017 году.",
    ),
    Document(
        DocumentKind.FACT,
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


def test_query_in_another_language_falls_back(catalog: Catalog, clock: FakeClock) -> None:
    library = Library(catalog, clock, "Asia/Almaty")
    hits = library.search("полигона", "en")
    assert hits and hits[0].document.topic == "semipalatinsk"


def test_a_reply_is_rendered_once_per_content_language_and_query(
    catalog: Catalog, shipped: Catalog, clock: FakeClock
) -> None:
    library = Library(catalog, clock, "Asia/Almaty")
    t = Translator(catalog.ui, "en")
    hits = library.search("полигона", "en")
    first = views.search_screen(catalog, t, "полигона", hits)
    assert views.search_screen(catalog, Translator(catalog.ui, "en"), "полигона", hits) is first
    assert views.search_screen(catalog, Translator(catalog.ui, "ru"), "полигона", hits) != first
    # Another catalogue (the shipped one) never gets this one's reply, whatever it finds.
    other = views.search_screen(shipped, Translator(shipped.ui, "en"), "полигона", hits)
    assert other is not first


# ---- sentences, not sections --------------------------------------------------------------------

BANK = Document(
    DocumentKind.SECTION,
    "iaea/bank",
    "iaea",
    "The IAEA Low-Enriched Uranium Bank",
    "The agreement on the Bank was signed in Astana in 2015 by the Foreign Minister. "
    "It is a reserve of up to 90 tonnes of uranium, owned by the Agency. "
    "The Bank opened on 29 August 2017 at the Ulba plant in Oskemen.",
    "Kazakhstan and the IAEA",
)
WHEN_NOISE = Document(
    DocumentKind.SECTION,
    "misc/when",
    "misc",
    "When and where",
    "When did it happen, and when did they know when it was? Nobody knows when.",
)
NSG = Document(
    DocumentKind.SECTION,
    "iaea/nsg",
    "iaea",
    "The Nuclear Suppliers Group",
    "Kazakhstan joined the Group on 13 May 2002 and chaired it in 2019-2020.",
    "Kazakhstan and the IAEA",
)
NSG_FACT = Document(
    DocumentKind.FACT,
    "nsg-joined",
    "iaea",
    "Kazakhstan and the IAEA",
    "Kazakhstan joined the Nuclear Suppliers Group on 13 May 2002.",
)


def test_the_snippet_is_the_answering_sentence_not_the_opening() -> None:
    index = SearchIndex("en", [BANK, NSG])
    [hit, *_] = index.search("when did the LEU bank open")
    assert hit.document.ref == "iaea/bank"
    assert "29 August 2017" in hit.snippet
    assert not hit.snippet.startswith("The agreement")


def test_question_words_do_not_dominate() -> None:
    index = SearchIndex("en", [WHEN_NOISE, BANK])
    assert index.search("when did the bank open")[0].document.ref == "iaea/bank"
    assert index.search("when") == []  # a question word alone asks nothing


def test_a_question_for_a_number_prefers_the_sentence_with_one() -> None:
    hit = SearchIndex("en", [BANK]).search("how much uranium does the bank hold")[0]
    assert "90 tonnes" in hit.snippet


def test_the_sentence_before_names_what_the_next_one_is_about() -> None:
    treaty = Document(
        DocumentKind.SECTION,
        "tpnw/force",
        "tpnw",
        "Background",
        "Kazakhstan signed the TPNW in 2018. It entered into force on 22 January 2021.",
    )
    other = Document(
        DocumentKind.SECTION, "x/y", "x", "Other", "The CTBT has not entered into force."
    )
    hit = SearchIndex("en", [other, treaty]).search("TPNW entered into force")[0]
    assert hit.document.ref == "tpnw/force"
    assert "22 January 2021" in hit.snippet and "TPNW" in hit.snippet


def test_an_abbreviation_finds_its_full_name() -> None:
    named = Document(
        DocumentKind.SECTION,
        "t/1",
        "t",
        "Background",
        "The Treaty on the Prohibition of Nuclear Weapons was adopted on 7 July 2017.",
    )
    other = Document(DocumentKind.SECTION, "t/2", "t", "Other", "Nuclear weapons were tested.")
    index = SearchIndex(
        "en", [other, named], {"TPNW": "Treaty on the Prohibition of Nuclear Weapons"}
    )
    assert index.search("TPNW adopted")[0].document.ref == "t/1"


def test_one_result_per_section_facts_open_the_section_that_tells_their_story() -> None:
    index = SearchIndex("en", [BANK, NSG, NSG_FACT])
    hits = index.search("Kazakhstan joined the Nuclear Suppliers Group")
    opened = [hit.section.ref if hit.section else None for hit in hits]
    assert len(opened) == len(set(opened))
    assert opened[0] == "iaea/nsg"


def test_results_are_cached_and_not_shared_as_mutable_lists() -> None:
    index = SearchIndex("en", [BANK, NSG])
    first = index.search("bank")
    first.clear()
    assert index.search("bank") and index.search("bank")[0].document.ref == "iaea/bank"


# ---- Kazakh and the words of a text -------------------------------------------------------------


def test_kazakh_endings_are_stripped() -> None:
    assert stem("банкі", "kk") == stem("банкінің", "kk") == stem("банкке", "kk") == "банк"
    assert stem("полигонында", "kk") == stem("полигон", "kk")
    assert stem("жыл", "kk") == "жыл"  # a short root keeps its letters


def test_an_ending_after_a_hyphen_is_not_a_word() -> None:
    assert terms("ЯҚТШ-ға", "kk") == terms("ЯҚТШ", "kk") == ["яқтш"]
    assert terms("Невада-Семипалатинск", "ru") == [
        stem("невада", "ru"),
        stem("семипалатинск", "ru"),
    ]


def test_kazakh_question_finds_the_answer() -> None:
    bank = Document(
        DocumentKind.SECTION,
        "iaea/bank",
        "iaea",
        "АЭХА-ның төмен байытылған уран банкі",
        "Келісімге 2015 жылы Астанада қол қойылды. "
        "Банк 2017 жылғы 29 тамызда Өскемендегі Үлбі зауытында ашылды.",
    )
    hit = SearchIndex("kk", [bank, NSG]).search("ТБУ банкі қашан ашылды")[0]
    assert "29 тамызда" in hit.snippet


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two three.", ["One.", "Two three."]),
        ("Project ATOM (Abolish Testing. Our Mission) began.", None),
        ("Манифест «Мир. XXI век» представлен.", None),
        (
            "Проект (англ. Abolish Testing) начат. Второе.",
            ["Проект (англ. Abolish Testing) начат.", "Второе."],
        ),
        ("Signed by N. Nazarbayev in 1994. Next.", ["Signed by N. Nazarbayev in 1994.", "Next."]),
        ("A list:\n— one;\n— two.", ["A list:", "— one;", "— two."]),
    ],
)
def test_sentences_end_where_a_reader_would_say(text: str, expected: list[str] | None) -> None:
    assert sentences(text) == (expected or [text])


# ---- snippets -----------------------------------------------------------------------------------

_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzабвгдеәқ", min_size=1, max_size=14)


@given(
    st.lists(_WORDS, min_size=1, max_size=120),
    st.data(),
    st.integers(min_value=20, max_value=400),
)
def test_a_snippet_never_cuts_a_word_and_holds_a_matched_one(
    text_words: list[str], data: st.DataObject, budget: int
) -> None:
    text = " ".join(text_words)
    starts = [0]
    for word in text_words[:-1]:
        starts.append(starts[-1] + len(word) + 1)
    chosen = data.draw(st.lists(st.sampled_from(range(len(text_words))), max_size=5, unique=True))
    spans = sorted((starts[i], starts[i] + len(text_words[i])) for i in chosen)
    begin, end = snippet_window(text, spans, budget)
    assert begin == 0 or text[begin - 1] == " "
    assert end == len(text) or text[end] == " "
    if spans and all(b - a < budget - SNIPPET_LEAD for a, b in spans):
        assert any(begin <= a and b <= end for a, b in spans)
    if end - begin > budget:  # only a single word longer than the budget may overflow it
        assert " " not in text[begin:end]


def test_a_long_sentence_is_shown_around_the_matched_words() -> None:
    filler = " ".join(["background"] * 80)
    document = Document(
        DocumentKind.SECTION, "a/b", "a", "Title", f"{filler} the bank opened in 2017 {filler}."
    )
    hit = SearchIndex("en", [document]).search("bank opened")[0]
    assert "bank opened in 2017" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert len(hit.snippet) <= SNIPPET_MAX + 2
    assert {"bank", "opened"} <= hit.matched
