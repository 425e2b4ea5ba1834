"""The content loader: every kind of problem is found and named by file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from content.loader import DATA_DIR, ContentError, load_catalog
from content.models import Citation, Lang

FIXTURE = Path(__file__).parent / "fixtures" / "content"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE, root)
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_catalog(root, ui_root=DATA_DIR / "ui")
    return [str(problem) for problem in caught.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_fixture_loads(content: Path) -> None:
    catalog = load_catalog(content, ui_root=DATA_DIR / "ui")
    assert set(catalog.topics) == {"semipalatinsk", "canwfz"}
    assert len(catalog.questions) == 4


def test_unknown_source_and_missing_paragraph(content: Path) -> None:
    edit(content / "topics" / "a.toml", 'cite = ["seed002#10"]', 'cite = ["nowhere", "seed002"]')
    found = problems(content)
    assert (
        "topics/a.toml: topic[semipalatinsk].sections[tests].cite: unknown source 'nowhere'"
        in found
    )
    section = "topics/a.toml: topic[semipalatinsk].sections[tests].cite"
    assert f"{section}: seed 'seed002' needs a paragraph" in found


def test_a_glossary_term_cites_known_sources_with_their_paragraphs(content: Path) -> None:
    edit(
        content / "glossary.toml",
        'topic = "semipalatinsk"',
        'cite = ["nowhere", "seed002", "unga-64-35"]\ntopic = "semipalatinsk"',
    )
    assert [p for p in problems(content) if "term[" in p] == [
        "glossary.toml: term[ctbt].cite: unknown source 'nowhere'",
        "glossary.toml: term[ctbt].cite: seed 'seed002' needs a paragraph",
    ]
    edit(content / "glossary.toml", '"nowhere", "seed002", ', '"seed002#10", ')
    term = load_catalog(content, ui_root=DATA_DIR / "ui").term("ctbt")
    assert term is not None
    assert [str(c.source) for c in term.cite] == ["seed002", "unga-64-35"]


def test_a_fact_without_citation_is_refused(content: Path) -> None:
    edit(content / "topics" / "b.toml", 'cite = ["seed002#12"]\n\n[[facts]]', "\n[[facts]]")
    edit(
        content / "topics" / "b.toml",
        'in 2006."\ncite = ["seed002#12"]',
        'in 2006."',
    )
    found = problems(content)
    assert any("facts.0.cite" in problem and "Field required" in problem for problem in found)


def test_unknown_topic_and_duplicate_ids(content: Path) -> None:
    edit(content / "calendar.toml", 'topic = "canwfz"', 'topic = "atlantis"')
    edit(content / "quiz" / "q.toml", 'id = "semi-02"', 'id = "semi-01"')
    found = problems(content)
    assert "calendar.toml: event[canwfz-signed].topic: unknown topic 'atlantis'" in found
    assert any("question[semi-01]: duplicate id" in problem for problem in found)


def test_impossible_date(content: Path) -> None:
    edit(content / "calendar.toml", "year = 2024", "year = 2023")
    assert "calendar.toml: event[leap-day]: 29.2.2023 is not a date" in problems(content)


def test_quiz_limits(content: Path) -> None:
    quiz = content / "quiz" / "q.toml"
    edit(
        quiz,
        'explanation.en = "The site was closed on 29 August 1991."',
        f'explanation.en = "{"x" * 190}"',
    )
    edit(
        quiz,
        'options.en = ["In Semipalatinsk", "In Tashkent", "In Bishkek"]',
        f'options.en = ["In Semipalatinsk", "{"y" * 101}", "In Bishkek"]',
    )
    edit(
        quiz,
        'options.en = ["2009", "2006", "2014", "1997"]',
        'options.en = ["2009", "2006", "2009", "1997"]',
    )
    found = problems(content)
    assert any("question[semi-01].explanation.en" in p and "> 200" in p for p in found)
    assert any("question[canwfz-01].options.en[1]" in p for p in found)
    assert any("question[canwfz-02].options.en: options must be unique" in p for p in found)


def test_disputed_figure_needs_its_source_named(content: Path) -> None:
    quiz = content / "quiz" / "q.toml"
    edit(quiz, "According to Kazakhstan's official figure, how", "How")
    found = problems(content)
    assert any("question[semi-02].text.en" in p and "disputed figure" in p for p in found)


def test_correct_index_out_of_range(content: Path) -> None:
    edit(
        content / "quiz" / "q.toml",
        'correct = [0]\nexplanation.ru = "Договор подписан',
        'correct = [5]\nexplanation.ru = "Договор подписан',
    )
    assert any("question[canwfz-01]" in p and "correct" in p for p in problems(content))


def test_broken_toml_names_the_file(content: Path) -> None:
    (content / "glossary.toml").write_text("[[term]\nid = ", encoding="utf-8")
    assert any(p.startswith("glossary.toml: -: cannot read") for p in problems(content))


def test_ui_placeholders_must_match(tmp_path: Path, content: Path) -> None:
    ui = tmp_path / "ui"
    shutil.copytree(DATA_DIR / "ui", ui)
    edit(ui / "ru.toml", "{name}", "{nome}")
    with pytest.raises(ContentError) as caught:
        load_catalog(content, ui_root=ui)
    assert any("start.greeting: placeholders differ" in str(p) for p in caught.value.problems)


@pytest.mark.parametrize(
    ("lang", "lines"),
    [("ru", "стр. 164-168"), ("en", "l. 164-168"), ("kk", "164-168-жол")],
)
def test_line_references_read_in_each_language(content: Path, lang: Lang, lines: str) -> None:
    # Kazakh puts the number before the word, with a hyphen; "жол 164" reads as another phrase
    catalog = load_catalog(content, ui_root=DATA_DIR / "ui")
    citation = Citation.parse("seed002#L164-168")
    label = catalog.cite_label(citation, lang)
    assert label == f"{catalog.sources['seed002'].short.get(lang)}, {lines}"


def test_check_content_command_reports_counts() -> None:
    from bot.__main__ import main

    assert main(["check-content"]) == 0
