"""What a quiz poll shows besides its question and options: the description, picture questions.

The poll description (Bot API 9.6, 0-1,024 characters) is shown with the poll, before anyone
answers, so it holds what a player may read first: the question's topic and level (for a picture
question, how to read the timeline) and its sources in full. A source whose full line would give
the answer away (``gives_away``) is left out there and named by the explanation, which only
shows after the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from content.models import (
    LANGS,
    CalendarEvent,
    Citation,
    Lang,
    PictureQuestion,
    Question,
    Source,
)

# A line reference in each language's own order: Kazakh puts the number first, with a hyphen
# ("164-жол"); "жол 164" reads as a different phrase.
LINE_LABEL = {"ru": "стр. {lines}", "en": "l. {lines}", "kk": "{lines}-жол"}

# Looks a UI phrase up: (language, key) -> text.
Phrase = Callable[[Lang, str], str]

WORD = re.compile(r"\w+")
# Words are compared by their first four letters, so "closed" meets "closing" and "закрыт"
# meets "закрытии": enough for dates and names, which is what gives an answer away.
STEM = 4


def locator_label(citation: Citation, lang: Lang) -> str:
    """ ", ¶10" or ", l. 12" for a citation with a locator; "" without."""
    locator = citation.locator
    if locator is None:
        return ""
    if locator.startswith("L"):
        return f", {LINE_LABEL[lang].format(lines=locator[1:])}"
    return f", ¶{locator}"


def full_source(source: Source, citation: Citation, lang: Lang) -> str:
    """A source as a reader looks it up: title, date, UN symbol and the cited place in it."""
    symbol = f", {source.symbol}" if source.symbol else ""
    return f"{source.title.get(lang)} ({source.date}{symbol}){locator_label(citation, lang)}"


def _stems(text: str) -> set[str]:
    return {
        word[:STEM]
        for word in WORD.findall(text.casefold())
        if len(word) >= 4 or (word.isdigit() and len(word) >= 2)  # "RDS-1"'s 1 tells nothing
    }


def gives_away(text: str, question: Question, lang: Lang) -> bool:
    """Whether ``text`` names something only the right answers have: a number or word of a right
    option that neither the question nor any wrong option has."""
    options = question.options.get(lang)
    right = set().union(*(_stems(options[index]) for index in question.correct))
    wrong = set().union(
        *(_stems(option) for index, option in enumerate(options) if index not in question.correct)
    )
    telling = right - wrong - _stems(question.text.get(lang))
    return bool(telling & _stems(text))


def poll_description(
    question: Question, sources: dict[str, Source], phrase: Phrase, lang: Lang, context: str
) -> str:
    """The description sent with ``question``'s poll: ``context``, then the sources that do not
    give the answer away (a note says when one waits for the explanation)."""
    lines = [context]
    if question.picture is not None:
        lines.append(phrase(lang, "quiz.picture_hint"))
    shown = [full_source(sources[c.source], c, lang) for c in question.cite]
    safe = [line for line in shown if not gives_away(line, question, lang)]
    if safe:
        lines.append(phrase(lang, "quiz.description_sources"))
        lines += [f"• {line}" for line in safe]
    if len(safe) < len(shown):
        lines.append(phrase(lang, "quiz.description_withheld"))
    return "\n".join(lines)


def _in_each_language(make: Callable[[Lang], str]) -> dict[str, str]:
    return {lang: make(lang) for lang in LANGS}


def picture_question(
    picture: PictureQuestion, events: dict[str, CalendarEvent], phrase: Phrase
) -> Question:
    """The quiz question a picture entry asks (its events must exist, each with a label in every
    language): the marked event's label is the right option, first (options are shuffled when
    sent), and the explanation names it with its year."""
    marked = events[picture.event]
    named = [marked, *(events[event_id] for event_id in picture.wrong)]

    def label(event: CalendarEvent, lang: Lang) -> str:
        assert event.label is not None  # the loader checked every label (loader.py)
        return event.label.get(lang)

    return Question.model_validate(
        {
            "id": picture.id,
            "topic": marked.topic,
            "difficulty": picture.difficulty,
            "text": _in_each_language(lambda lang: phrase(lang, "quiz.picture_question")),
            "options": {lang: [label(event, lang) for event in named] for lang in LANGS},
            "correct": [0],
            "explanation": _in_each_language(
                lambda lang: phrase(lang, "quiz.picture_explanation").format(
                    label=label(marked, lang), year=marked.year
                )
            ),
            "cite": list(marked.cite),
            "picture": marked.id,
        }
    )
