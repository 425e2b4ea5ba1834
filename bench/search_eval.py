"""``python -m bench search``: does /search answer the questions of ``content/eval/search.toml``?

For every question the reply is rendered as the bot sends it (``views.search_screen``); it
"contains the answer" when its text contains one of the question's answer strings. The MRR
counts the rank of the first result whose snippet holds the answer (0 when none does).
"""

from __future__ import annotations

import html
import re
import statistics
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.clock import SystemClock
from bot.library import views
from bot.library.service import Library
from bot.telegram.i18n import Translator
from content.loader import load_catalog
from content.models import LANGS, Lang

EVAL_SET = Path(__file__).parent.parent / "content" / "eval" / "search.toml"
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Question:
    lang: Lang
    text: str
    answers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    question: Question
    answered: bool  # the reply's text contains an answer
    rank: int  # 1-based rank of the first snippet with an answer; 0 if none
    reply: str


@dataclass(frozen=True, slots=True)
class Score:
    lang: Lang
    questions: int
    answered: float  # share of replies that contain the answer
    mrr: float
    p50_ms: float


def comparable(text: str) -> str:
    """Case, ё/е and kinds of spaces do not decide whether a reply holds an answer."""
    return _SPACE.sub(" ", text.casefold().replace("ё", "е"))


def load_questions(path: Path = EVAL_SET) -> list[Question]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Question(lang, item["q"], tuple(item["answers"])) for lang in LANGS for item in raw[lang]
    ]


def evaluate(library: Library, question: Question) -> Outcome:
    hits = library.search(question.text, question.lang)
    t = Translator(library.catalog.ui, question.lang)
    screen = views.search_screen(library.catalog, t, question.text, hits)
    reply = html.unescape(_TAG.sub("", screen.text))
    answers = [comparable(answer) for answer in question.answers]

    def holds(text: str) -> bool:
        text = comparable(text)
        return any(answer in text for answer in answers)

    rank = next((i for i, hit in enumerate(hits, start=1) if holds(hit.snippet)), 0)
    return Outcome(question, holds(reply), rank, reply)


def score(library: Library, questions: list[Question]) -> tuple[list[Score], list[Outcome]]:
    scores: list[Score] = []
    outcomes: list[Outcome] = []
    for lang in LANGS:
        mine = [question for question in questions if question.lang == lang]
        timings: list[float] = []
        results: list[Outcome] = []
        for question in mine:
            started = time.perf_counter()
            results.append(evaluate(library, question))
            timings.append((time.perf_counter() - started) * 1000)
        scores.append(
            Score(
                lang,
                len(mine),
                sum(outcome.answered for outcome in results) / len(mine),
                sum(1 / outcome.rank for outcome in results if outcome.rank) / len(mine),
                statistics.median(timings),
            )
        )
        outcomes += results
    return scores, outcomes


def table(scores: list[Score]) -> str:
    lines = [
        "| language | questions | replies with the answer | MRR | p50 per query | goal |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {item.lang} | {item.questions} | {item.answered:.1%} | {item.mrr:.3f} | "
        f"{item.p50_ms:.2f} ms | {'met' if item.answered >= 0.95 else 'not met'} (>= 95%) |"
        for item in scores
    ]
    return "\n".join(lines)


def main(arguments: list[str]) -> int:
    """``--misses`` also lists the questions not answered by the first result;
    ``--content DIR`` evaluates another content tree (a checkout while content is being edited)."""
    content = (
        Path(arguments[arguments.index("--content") + 1]) if "--content" in arguments else None
    )
    catalog = load_catalog(content) if content else load_catalog()
    library = Library(catalog, SystemClock(), "UTC")  # the evaluation reads no dates
    scores, outcomes = score(library, load_questions())
    print(table(scores))
    if "--misses" in arguments:
        for outcome in outcomes:
            if not outcome.answered or outcome.rank != 1:
                question = outcome.question
                print(
                    f"\n[{question.lang}] rank {outcome.rank}: {question.text} -> {question.answers}"
                )
                print("   " + outcome.reply.replace("\n", "\n   "))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
