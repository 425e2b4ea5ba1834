"""What quiz polls carry besides the question: the picture question bank (≥12 per language,
each with its sources and a rendered picture), the description's rule against giving the
answer away, and the loader's checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.quiz.pictures import QuizPictures
from content.loader import DATA_DIR, Catalog, ContentError, load_catalog
from content.models import LANGS, Lang, Question
from content.polls import gives_away
from tests.vocabulary import PNG_SIGNATURE, png_size

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"


@pytest.mark.parametrize("lang", LANGS)
async def test_at_least_12_picture_questions_per_language_each_sourced_and_drawn(
    shipped: Catalog, lang: Lang
) -> None:
    pictures = [q for q in shipped.questions.values() if q.picture is not None]
    assert len(pictures) >= 12
    calendar = {event.id: event for event in shipped.calendar}
    renderer = QuizPictures(shipped)
    for question in pictures:
        assert question.picture is not None
        event = calendar[question.picture]
        assert question.cite == event.cite and all(c.source in shipped.sources for c in event.cite)
        assert question.options.has(lang) and event.label is not None and event.label.has(lang)
        assert question.options.get(lang)[question.correct[0]] == event.label.get(lang)
        assert len(shipped.poll_description(question, lang)) <= 1024
        png = await renderer.png(question, lang)
        assert png.startswith(PNG_SIGNATURE) and png_size(png) == (1600, 900)
    assert await renderer.png(pictures[0], lang) is await renderer.png(pictures[0], lang)


def question(right: str, wrong: list[str], text: str = "Which one?") -> Question:
    return Question.model_validate(
        {
            "id": "q", "topic": "t", "difficulty": 1, "text": {"ru": text, "en": text},
            "options": {"ru": [right, *wrong], "en": [right, *wrong]}, "correct": [0],
            "explanation": {"ru": "x", "en": "x"}, "cite": ["s"],
        }
    )  # fmt: skip


def test_a_source_that_names_the_answer_gives_it_away() -> None:
    dates = question("29 August 1991", ["16 December 1991", "19 October 1989"])
    assert gives_away("Decree No. 409 of 29 August 1991 on closing the site", dates, "en")
    assert not gives_away("Working paper of Kazakhstan (2019), ¶11", dates, "en")
    # 1991 is in a wrong option too: a source of 1991 does not tell which.
    assert not gives_away("A report on the year 1991", dates, "en")
    places = question("In Semipalatinsk", ["In Tashkent", "In Bishkek"], "Where was it signed?")
    assert gives_away("Signed at Semipalatinsk, 8 September 2006", places, "en")


# Option words with distinct first four letters (what the rule compares); "Which one?" shares
# none of them, since "w" and "o" are not in the alphabet.
options = st.lists(
    st.text(alphabet="abcdefghij", min_size=4, max_size=8),
    min_size=3, max_size=4, unique_by=lambda word: word[:4],
)  # fmt: skip


@given(options)
def test_only_a_right_option_s_own_words_give_it_away(words: list[str]) -> None:
    built = question(words[0], words[1:])
    assert not gives_away(" and ".join(words[1:]), built, "en")
    assert gives_away(f"A source about {words[0]}", built, "en")


def content_with_pictures(tmp_path: Path, pictures: str) -> Path:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    labelled = (
        (root / "calendar.toml")
        .read_text(encoding="utf-8")
        .replace(
            'text.en = "A test event on 29 February."',
            'text.en = "A test event on 29 February."\n'
            'label.ru = "Тест"\nlabel.en = "Test"\nlabel.kk = "Тест"',
        )
    )
    for event in ("first-test", "site-closed", "canwfz-signed"):
        labelled = labelled.replace(
            f'id = "{event}"', f'id = "{event}"\nlabel = {{ ru = "{event}", en = "{event}" }}'
        )
    (root / "calendar.toml").write_text(labelled, encoding="utf-8")
    (root / "pictures.toml").write_text(pictures, encoding="utf-8")
    return root


def test_the_loader_names_every_broken_picture_question(tmp_path: Path) -> None:
    root = content_with_pictures(
        tmp_path,
        '[[picture]]\nid = "p1"\ndifficulty = 1\nevent = "leap-day"\n'
        'wrong = ["site-closed", "no-such-event"]\n',
    )
    with pytest.raises(ContentError) as raised:
        load_catalog(root, ui_root=DATA_DIR / "ui")
    problems = str(raised.value)
    assert "pictures.toml: picture[p1]: unknown event 'no-such-event'" in problems
    assert "'site-closed' needs a label in ru, en, kk" in problems  # no Kazakh label


def test_the_loader_keeps_wrong_options_off_the_picture_and_apart(tmp_path: Path) -> None:
    extra = "".join(
        f'\n[[event]]\nid = "e{year}"\nday = 1\nmonth = 1\nyear = {year}\ntopic = "canwfz"\n'
        f'text.ru = "Событие {year}."\ntext.en = "Event {year}."\ncite = ["seed002#12"]\n'
        f'label.ru = "С{year}"\nlabel.en = "E{year}"\nlabel.kk = "О{year}"\n'
        for year in (1960, 2022)
    )
    root = content_with_pictures(
        tmp_path,
        '[[picture]]\nid = "p2"\ndifficulty = 1\nevent = "leap-day"\nwrong = ["e2022", "e1960"]\n'
        '[[picture]]\nid = "p3"\ndifficulty = 1\nevent = "e1960"\n'
        'wrong = ["leap-day", "first-test"]\n',
    )
    calendar = root / "calendar.toml"
    calendar.write_text(calendar.read_text(encoding="utf-8") + extra, encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_catalog(root, ui_root=DATA_DIR / "ui")
    problems = str(raised.value)
    assert "'e2022' is less than 4 years from 'leap-day'" in problems
    assert "picture[p3]: event 'first-test' needs a label" in problems
    (root / "pictures.toml").write_text(
        '[[picture]]\nid = "p4"\ndifficulty = 1\nevent = "e1960"\nwrong = ["leap-day", "e2022"]\n'
    )
    built = load_catalog(root, ui_root=DATA_DIR / "ui").questions["p4"]
    assert built.picture == "e1960" and built.options.en == ["E1960", "Test", "E2022"]
    assert built.cite[0].source == "seed002"
