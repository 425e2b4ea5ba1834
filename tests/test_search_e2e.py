"""/search through the real dispatcher and the shipped content: a question gets the sentence
that answers it, and one button per result, labelled by the section it opens."""

from __future__ import annotations

import pytest

from bench.search_eval import load_questions, score
from bot.clock import FakeClock
from bot.library.service import Library
from bot.offline.world import World
from content.loader import Catalog
from content.models import Lang


@pytest.mark.parametrize(
    ("lang", "question", "answer"),
    [
        ("en", "when did the LEU bank open", "29 August 2017"),
        ("ru", "когда открыли банк НОУ МАГАТЭ", "29 августа 2017"),
        ("kk", "ТБУ банкі қашан ашылды", "2017 жылғы 29 тамызда"),
    ],
)
async def test_a_question_gets_the_answering_sentence_and_section_buttons(
    shipped_world: World, shipped: Catalog, lang: Lang, question: str, answer: str
) -> None:
    student = shipped_world.user("Student", lang)
    await student.send(question)
    reply = shipped_world.last(student.private)
    assert answer in (reply.text or "")
    buttons = reply.buttons()
    labels = [button["text"].split(". ", 1)[1] for button in buttons]
    assert len(labels) == len(set(labels)) > 1, "one button per section, none twice"
    titles = [
        title
        for topic in shipped.topics.values()
        for title in [topic.title.get(lang), *(item.title.get(lang) for item in topic.sections)]
    ]
    for label in labels:  # a long title is shortened on its button, with "…"
        assert any(title.startswith(label.removesuffix("…")) for title in titles), label
        assert label.removesuffix("…") in (reply.text or ""), "the reply names it the same"
    # The first button opens the section it names.
    await student.tap("1. ")
    opened = shipped_world.last_text(student.private)
    assert labels[0].removesuffix("…") in opened


async def test_only_question_words_get_a_clear_reply(shipped_world: World) -> None:
    student = shipped_world.user("Student", "ru")
    await student.send("/search когда?")
    assert "ничего не найдено" in shipped_world.last_text(student.private)


def test_the_evaluation_set_is_answered(shipped: Catalog, clock: FakeClock) -> None:
    """The goal of issue 11 kept by CI: >= 95 % of the evaluation questions in every language
    get a reply that contains the answer (python -m bench search prints the details)."""
    scores, _ = score(Library(shipped, clock, "Asia/Almaty"), load_questions())
    below = {item.lang: f"{item.answered:.1%}" for item in scores if item.answered < 0.95}
    assert not below, f"replies with the answer below 95 %: {below}"
