"""The content guarantees of check-content: numbers against sources, freshness, sources in
ru/en/kk; the number normaliser they rest on; and "as of <date>" as users see it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.offline.world import World
from bot.telegram.ui import long_date
from content.guarantees import (
    SEEDS_DIR,
    TIME_SENSITIVE,
    Exemption,
    SeedLibrary,
    check_guarantees,
    load_exemptions,
)
from content.loader import DATA_DIR, Catalog, load_catalog
from content.models import LANGS, Lang
from content.numbers import covers, values

FIXTURE = Path(__file__).parent / "fixtures" / "content"
SHARED_SEEDS = Path(__file__).parents[2] / "shared" / "seeds"
TODAY = date(2026, 12, 6)

KK_MONTHS = (
    "қаңтар",
    "ақпан",
    "наурыз",
    "сәуір",
    "мамыр",
    "маусым",
    "шілде",
    "тамыз",
    "қыркүйек",
    "қазан",
    "қараша",
    "желтоқсан",
)


# --- the normaliser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 лет назад, 14 февраля 1994 года", ["25", "1994-02-14"]),
        ("on 14 February 1994", ["1994-02-14"]),
        ("February 14, 1994", ["1994-02-14"]),
        ("1994 жылғы 14 ақпанда", ["1994-02-14"]),
        ("в декабре 2009 года", ["2009-12"]),
        ("2009 жылғы желтоқсанда", ["2009-12"]),
        ("12 и 13 ноября 2018 года", ["2018-11-12", "2018-11-13"]),
        ("12–13 November 2018", ["2018-11-12", "2018-11-13"]),
        ("29 тамыз", ["--08-29"]),
        ("1 216 боеголовок", ["1216"]),
        ("1,216 warheads", ["1216"]),
        ("2,9 кг", ["2.9"]),
        ("45 процентов", ["45%"]),
        ("45 per cent", ["45%"]),
        ("48-й сессии", ["48"]),
        ("the 48th session", ["48"]),
        ("48-сессиясында", ["48"]),
        ("в начале 1990-х", ["1990s"]),
        ("$25 million", ["25000000"]),
        ("полтора миллиона человек", ["1500000"]),
        ("resolution A/RES/70/57", ["70/57"]),
        ("«Манифест: мир, XXI век»", ["21"]),
        ("at 11:05 local time", ["11:05"]),
        ("СНВ-1, RDS-6, COVID-19 and the P5", []),
        ("the working paper (¶26–31)", []),
        ("1. The Treaty of Tlatelolco", []),
        ("2016-2017", ["2016", "2017"]),
        ("Нурсул-\n\nтан, 1\n\n216", ["1216"]),
    ],
)
def test_extract_examples(text: str, expected: list[str]) -> None:
    assert values(text) == expected


def kazakh_date(day: date) -> str:
    """The form Kazakh texts write (Babel's long form is "1994 ж. 14 ақпан")."""
    return f"{day.year} жылғы {day.day} {KK_MONTHS[day.month - 1]}"


dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(day=dates, lang=st.sampled_from(LANGS))
def test_a_date_the_bot_writes_is_read_back_in_every_language(day: date, lang: Lang) -> None:
    assert values(long_date(day, lang)) == [day.isoformat()]


@given(day=dates)
def test_the_kazakh_and_american_date_forms_are_the_same_date(day: date) -> None:
    american = f"{day:%B} {day.day}, {day.year}"
    assert values(kazakh_date(day)) == values(american) == [day.isoformat()]


@given(
    number=st.integers(min_value=0, max_value=10**9),
    separator=st.sampled_from(["", " ", "\u00a0", "\u202f", ","]),
)
def test_a_number_grouped_any_way_is_one_number(number: int, separator: str) -> None:
    written = f"{number:,}".replace(",", separator)
    assert values(f"всего {written} единиц") == [str(number)]


@given(whole=st.integers(0, 999), tenths=st.integers(1, 9), lang=st.sampled_from(LANGS))
def test_a_decimal_reads_the_same_with_a_comma_or_a_point(
    whole: int, tenths: int, lang: Lang
) -> None:
    mark = "." if lang == "en" else ","
    assert values(f"{whole}{mark}{tenths} kg") == [f"{whole}.{tenths}"]


@given(day=dates)
def test_a_full_date_gives_its_year_month_and_day(day: date) -> None:
    implied = covers([day.isoformat()])
    for partial in (f"{day.year}", f"{day:%Y-%m}", f"--{day:%m-%d}", f"{day.year // 10}0s"):
        assert partial in implied
    assert str(day.day) not in implied - {str(day.year)}


# --- the checks over a small content tree ----------------------------------------------------


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def fixture_catalog(root: Path) -> Catalog:
    return load_catalog(root, ui_root=DATA_DIR / "ui")


def problems_of(catalog: Catalog, exemptions: list[Exemption] | None = None) -> list[str]:
    found = check_guarantees(catalog, TODAY, SeedLibrary(), exemptions or [])
    return [str(problem) for problem in found.problems]


def number_problems(found: list[str]) -> list[str]:
    return [problem for problem in found if "cited passages" in problem]


def test_a_figure_missing_from_the_cited_paragraph_is_named(content: Path) -> None:
    # seed002 ¶10 counts 468 explosions; the fixture section cites it
    topic = content / "topics" / "a.toml"
    text = topic.read_text(encoding="utf-8")
    assert "seed002#10" in text and "468" in text
    before = set(number_problems(problems_of(fixture_catalog(content))))
    assert not any("468" in problem for problem in before)
    edit(topic, "468", "486")
    added = set(number_problems(problems_of(fixture_catalog(content)))) - before
    assert added and all("'486' (486)" in problem for problem in added)


def test_an_exception_admits_the_figure_and_an_unused_one_fails(content: Path) -> None:
    edit(content / "topics" / "a.toml", "468", "486")
    catalog = fixture_catalog(content)
    [item] = {
        p.split(": ")[1].rsplit(".", 2)[0]
        for p in number_problems(problems_of(catalog))
        if "(486)" in p
    }
    admitted = Exemption(item, "486", "test: deliberate")
    stale = Exemption(item, "999", "test: matches nothing")
    found = problems_of(catalog, [admitted, stale])
    assert not any("(486)" in problem for problem in found)
    assert f"exceptions.toml: {item} 999: matches nothing any more: remove it" in found


def test_a_citation_to_a_paragraph_that_does_not_exist_is_a_problem(content: Path) -> None:
    edit(content / "topics" / "a.toml", 'cite = ["seed002#10"]', 'cite = ["seed002#99"]')
    assert any("seed002#99 names no passage" in p for p in problems_of(fixture_catalog(content)))


def dated(root: Path, as_of: str, review_by: str) -> None:
    edit(
        root / "topics" / "a.toml",
        'cite = ["seed002#10"]',
        f'cite = ["seed002#10"]\nas_of = {as_of}\nreview_by = {review_by}',
    )


def test_an_expired_review_date_fails_and_a_future_one_passes(content: Path) -> None:
    dated(content, "2026-01-31", "2026-12-31")
    catalog = fixture_catalog(content)
    assert not any("review_by" in p for p in problems_of(catalog))
    expired = check_guarantees(catalog, date(2027, 1, 1), SeedLibrary(), [])
    assert any(
        "review_by: 2026-12-31 has passed (true as of 2026-01-31)" in str(p)
        for p in expired.problems
    )


def test_as_of_needs_review_by_after_it(content: Path) -> None:
    dated(content, "2026-01-31", "2026-01-01")
    with pytest.raises(Exception, match="review_by must come after as_of"):
        fixture_catalog(content)


def test_an_undated_time_sensitive_statement_fails(content: Path) -> None:
    edit(content / "topics" / "a.toml", "468", "468 (not yet in force; ещё не; әлі)")
    found = problems_of(fixture_catalog(content))
    assert any("time-sensitive" in p and "no as_of/review_by" in p for p in found)


@pytest.mark.parametrize(
    ("lang", "text", "time_sensitive"),
    [
        ("en", "Five regional zones exist today.", True),
        ("en", "Signed in Semipalatinsk (today Semey) in 2006.", False),
        ("en", "By the latest available information the USA has not ratified it.", True),
        ("en", "The nuclear-weapon states have not joined the TPNW.", True),
        ("en", "The clock stood at 85 seconds, the closest ever.", True),
        ("en", "Kazakhstan is the only state that ...", True),
        ("en", "Kazakhstan was the only state that ...", False),
        ("ru", "По последним доступным данным США протокол не ратифицировали.", True),
        ("ru", "Подписан в Семипалатинске (сегодня Семей).", False),
        ("ru", "Сегодня действуют пять зон.", True),
        ("kk", "Соңғы қолжетімді деректер бойынша АҚШ ратификацияламаған.", True),
        ("kk", "Бүгінде бес аймақ бар.", True),
        ("kk", "Шартқа 2006 жылы қол қойылды.", False),
    ],
)
def test_present_status_claims_read_as_time_sensitive(
    lang: Lang, text: str, time_sensitive: bool
) -> None:
    assert (TIME_SENSITIVE[lang].search(text) is not None) == time_sensitive


def test_a_source_without_kazakh_is_named(content: Path) -> None:
    # the fixture's sources carry ru and en only
    found = problems_of(fixture_catalog(content))
    assert "sources/sources.toml: source[seed002].title: no kk" in found


def test_a_glossary_figure_is_held_to_the_term_s_sources(content: Path) -> None:
    # the fixture's unga-64-35 is dated 2 December 2009; the term cites no seed passage
    glossary = content / "glossary.toml"
    note = 'note.ru = "Принята {day} декабря 2009 года."\nnote.en = "Adopted {day} December 2009."'
    edit(glossary, 'topic = "semipalatinsk"', note.format(day=2) + '\ntopic = "semipalatinsk"')
    uncited = [p for p in problems_of(fixture_catalog(content)) if "term[ctbt]" in p]
    assert uncited == [
        "glossary.toml: term[ctbt].note.ru: '2 декабря 2009' (2009-12-02) is stated but the item "
        "cites no source",
        "glossary.toml: term[ctbt].note.en: '2 December 2009' (2009-12-02) is stated but the item "
        "cites no source",
    ]
    edit(glossary, 'topic = "semipalatinsk"', 'cite = ["unga-64-35"]\ntopic = "semipalatinsk"')
    assert not any("term[ctbt]" in p for p in problems_of(fixture_catalog(content)))
    edit(glossary, "2 декабря", "3 декабря")
    assert [p for p in problems_of(fixture_catalog(content)) if "term[ctbt]" in p] == [
        "glossary.toml: term[ctbt].note.ru: '3 декабря 2009' (2009-12-03) is in none of its "
        "cited passages or public sources"
    ]


def test_an_undated_time_sensitive_glossary_note_fails(content: Path) -> None:
    edit(
        content / "glossary.toml",
        'topic = "semipalatinsk"',
        'note.ru = "Пока не вступил в силу."\nnote.en = "Not yet in force."\n'
        'topic = "semipalatinsk"',
    )
    found = problems_of(fixture_catalog(content))
    assert any("term[ctbt]: time-sensitive" in p for p in found)


def test_two_entries_for_one_page_are_named_and_a_shared_home_page_is_not(
    content: Path,
) -> None:
    sources = content / "sources" / "sources.toml"
    edit(sources, 'symbol = "A/RES/64/35"', 'symbol = "A/RES/64/35"\nurl = "https://un.org"')
    edit(sources, 'file = "002', 'url = "https://www.un.org/"\nfile = "002')
    assert not any(".url:" in p for p in problems_of(fixture_catalog(content)))
    edit(sources, 'url = "https://un.org"', 'url = "http://www.un.org/res/64-35/"')
    edit(sources, 'url = "https://www.un.org/"', 'url = "https://un.org/res/64-35"')
    assert (
        "sources/sources.toml: source[unga-64-35].url: the same page as source[seed002]: "
        "merge them into one entry" in problems_of(fixture_catalog(content))
    )


# --- the shipped content -----------------------------------------------------------------------


def test_the_vendored_seeds_are_the_shared_seeds() -> None:
    if not SHARED_SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    for shared in SHARED_SEEDS.iterdir():
        assert (SEEDS_DIR / shared.name).read_bytes() == shared.read_bytes(), shared.name


def test_every_exception_has_a_reason_and_names_a_figure() -> None:
    exemptions = load_exemptions()
    assert exemptions
    for exemption in exemptions:
        assert exemption.reason.strip() and exemption.figure.strip()


def test_shipped_numbers_and_review_dates_hold() -> None:
    found = check_guarantees(load_catalog(), TODAY)
    number_or_date = [
        str(p) for p in found.problems if "source[" not in p.key and "title" not in p.key
    ]
    assert number_or_date == []
    assert found.items_checked > 250 and found.figures_checked > 2500


def test_check_content_fails_once_a_review_date_passes() -> None:
    from bot.__main__ import main

    catalog = load_catalog()
    last = max(
        item.review_by
        for topic in catalog.topics.values()
        for item in [*topic.sections, *topic.facts]
        if item.review_by is not None
    )
    assert main(["check-content", "--today", (last.replace(year=last.year + 1)).isoformat()]) == 1


# --- "as of" as users see it ------------------------------------------------------------------


@pytest.fixture
def catalog(shipped: Catalog) -> Catalog:
    """The shipped content: its CTBT status section is dated."""
    return shipped


@pytest.mark.parametrize(
    ("lang", "topic_button", "expected"),
    [
        ("ru", "ДВЗЯИ", "По состоянию на 1 декабря 2026 г."),
        ("en", "CTBT", "As of 1 December 2026"),
        ("kk", "ЯСЖТШ", "Дерек күні: 2026 ж. 1 желтоқсан"),
    ],
)
async def test_a_time_sensitive_section_shows_as_of(
    world: World, catalog: Catalog, lang: Lang, topic_button: str, expected: str
) -> None:
    ctbt = catalog.topics["ctbt"]
    index = next(i for i, s in enumerate(ctbt.sections) if s.id == "status")
    assert ctbt.sections[index].as_of == date(2026, 12, 1)
    reader = world.user("Reader", lang)
    await reader.send("/topics")
    await reader.tap(topic_button)
    await reader.tap(f"{index + 1}. ")
    card = " ".join(world.last_text(reader.private).split())
    assert ctbt.sections[index].title.get(lang) in card
    assert expected in card
    undated = next(i for i, s in enumerate(ctbt.sections) if s.as_of is None)
    await reader.tap("☰")
    await reader.tap(f"{undated + 1}. ")
    assert "🗓" not in world.last_text(reader.private)


@pytest.mark.parametrize(
    ("lang", "query", "sources", "as_of"),
    [
        (
            "ru",
            "Протокол о негативных гарантиях",
            "Источники: Протокол к ЦАЗСЯО; Посольство Казахстана, 2022",
            "По состоянию на 1 августа 2022",
        ),
        (
            "en",
            "Protocol on negative security",
            "Sources: CANWFZ Protocol; Kazakhstan's embassy, 2022",
            "As of 1 August 2022",
        ),
        (
            "kk",
            "кепілдіктері туралы хаттама",
            "Дереккөздер: ОАЯҚАА туралы шартқа хаттама; Қазақстан елшілігі, 2022",
            "Дерек күні: 2022 ж. 1 тамыз",
        ),
    ],
)
async def test_a_glossary_term_shows_its_sources_and_as_of(
    world: World, catalog: Catalog, lang: Lang, query: str, sources: str, as_of: str
) -> None:
    term = catalog.term("nsa-protocol")
    assert term is not None and term.as_of == date(2022, 8, 1)
    reader = world.user("Reader", lang)
    await reader.send(f"/glossary {query}")
    reply = " ".join(world.last_text(reader.private).split())
    assert term.note is not None and term.note.get(lang) in reply
    assert sources in reply and as_of in reply
    # a term that states no figure cites nothing and shows no source line
    kurchatov = catalog.term("kurchatov")
    assert kurchatov is not None and not kurchatov.cite
    await reader.send(f"/glossary {kurchatov.name.get(lang)}")
    assert "📄" not in world.last_text(reader.private)


async def test_every_glossary_page_with_its_source_lines_is_sent(
    world: World, catalog: Catalog
) -> None:
    # the offline Telegram refuses a message over 4096 characters, as Telegram does
    reader = world.user("Reader", "kk")
    await reader.send("/glossary")
    shown = 0
    while True:
        text = world.last_text(reader.private)
        shown += text.count("📄")
        if "▶" not in [button["text"] for button in world.last(reader.private).buttons()]:
            break
        await reader.tap("▶")
    assert shown == sum(1 for term in catalog.glossary if term.cite)


def test_a_dated_quiz_explanation_says_as_of_within_the_poll_limit(catalog: Catalog) -> None:
    question = catalog.questions["ctbt-03"]
    assert question.as_of is not None
    for lang, words in (("ru", "на "), ("en", "as of "), ("kk", " дерегі")):
        sent = catalog.poll_explanation(question, lang)
        assert f"{question.as_of:%d.%m.%Y}" in sent and words in sent
        assert len(sent) <= 200
