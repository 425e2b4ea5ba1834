"""Load and validate the content catalogue.

``load_catalog()`` reads every TOML file under ``content/data``, builds the typed models and
checks what a model alone cannot: unique ids, references that resolve, citations of known
sources, and Telegram's hard limits for the messages and polls the content becomes. Every problem
is collected (file + key + message) so one run of ``check-content`` lists them all.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from content.models import (
    LANGS,
    REQUIRED_LANGS,
    CalendarEvent,
    Citation,
    Fact,
    GlossaryTerm,
    Lang,
    PictureQuestion,
    Question,
    Source,
    Text,
    TextList,
    Topic,
)
from content.polls import locator_label, picture_question, poll_description

DATA_DIR = Path(__file__).parent / "data"

# Telegram limits the content must fit (../shared/TELEGRAM-LIMITS.md). A topic card adds a
# title, navigation and source lines to a section body, so the body keeps a margin below 4096.
MAX_SECTION_BODY = 3300
MAX_FACT_TEXT = 1000
POLL_QUESTION_MAX = 300
# Group games prefix "[10/30] " to the question; keep room for it.
QUESTION_PREFIX_ROOM = 10
POLL_OPTION_MAX = 100
POLL_EXPLANATION_MAX = 200
POLL_EXPLANATION_MAX_LINE_FEEDS = 2
POLL_DESCRIPTION_MAX = 1024
# A picture question's wrong options lie at least this far from the marked event on the
# timeline (18 pixels a year), so its place alone tells them apart.
PICTURE_YEARS_APART = 4
CALLBACK_ANSWER_MAX = 200

# Figures the sources disagree on (FACTS.md C-01, C-02, C-03): a question whose right answer is
# one of them must name whose figure it is, in the question itself.
DISPUTED_FIGURE = re.compile(
    r"(?<![\d.,])(468|456|500|1[\s\u00a0.,]?216|1[\s\u00a0.,]?4[01]0)(?![\d])"
)
ATTRIBUTION = {
    "ru": re.compile(
        r"по данным|официальн|согласно|по оценк|по словам|документ|в докладе|в обращении|рабоч",
        re.I,
    ),
    "en": re.compile(
        r"according to|official|figure|estimate|document|working paper|appeal|cites?", re.I
    ),
    "kk": re.compile(r"дерек|ресми|сәйкес|құжат|бағалау|үндеу", re.I),
}


@dataclass(frozen=True)
class Problem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{len(problems)} content problem(s):\n{lines}")


@dataclass(frozen=True)
class UiCatalog:
    """Interface strings per language: a key maps to a string or to CLDR plural forms."""

    strings: dict[Lang, dict[str, str | dict[str, str]]]

    def lookup(self, lang: Lang, key: str) -> str | dict[str, str]:
        table = self.strings.get(lang, {})
        if key in table:
            return table[key]
        return self.strings["ru" if lang == "kk" else "en"][key]

    def has(self, lang: Lang, key: str) -> bool:
        return key in self.strings.get(lang, {})

    def phrase(self, lang: Lang, key: str) -> str:
        """A string that has no plural forms."""
        return str(self.lookup(lang, key))

    def keys(self) -> set[str]:
        return set(self.strings["en"])


@dataclass(frozen=True)
class Catalog:
    sources: dict[str, Source]
    topics: dict[str, Topic]  # in display order
    glossary: list[GlossaryTerm]
    calendar: list[CalendarEvent]  # sorted by (month, day, year)
    questions: dict[str, Question]
    ui: UiCatalog
    # the file each topic, question and source came from ("topic[npt]" → "topics/03-npt.toml")
    origin: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Fact] = field(init=False)
    fact_topic: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        facts = {fact.id: fact for topic in self.topics.values() for fact in topic.facts}
        fact_topic = {fact.id: topic.id for topic in self.topics.values() for fact in topic.facts}
        object.__setattr__(self, "facts", facts)
        object.__setattr__(self, "fact_topic", fact_topic)

    def topic(self, topic_id: str) -> Topic | None:
        return self.topics.get(topic_id)

    def cite_label(self, citation: Citation, lang: Lang) -> str:
        """Short human label: "Kazakhstan working paper, 2019, ¶10"."""
        return cite_label(self.sources[citation.source], citation, lang)

    def cite_labels(self, cites: list[Citation], lang: Lang) -> str:
        return "; ".join(self.cite_label(citation, lang) for citation in cites)

    def poll_explanation(self, question: Question, lang: Lang) -> str:
        """The quiz explanation as sent: the text, then the first source (and the date the
        answer was true, for a time-sensitive question) on its own line."""
        return poll_explanation(question, self.sources, self.ui, lang)

    def poll_description(self, question: Question, lang: Lang) -> str:
        """The poll's description as sent (plain text): the topic and level, then the sources
        (see content/polls.py)."""
        topic = self.topics.get(question.topic)
        context = self.ui.phrase(lang, "quiz.description_context").format(
            topic=f"{topic.emoji} {topic.title.get(lang)}" if topic else question.topic,
            level=self.ui.phrase(lang, f"quiz.level.{question.difficulty}"),
        )
        return poll_description(question, self.sources, self.ui.phrase, lang, context)

    def term(self, term_id: str) -> GlossaryTerm | None:
        return next((term for term in self.glossary if term.id == term_id), None)


def cite_label(source: Source, citation: Citation, lang: Lang) -> str:
    return f"{source.short.get(lang)}{locator_label(citation, lang)}"


def poll_explanation(
    question: Question, sources: dict[str, Source], ui: UiCatalog, lang: Lang
) -> str:
    label = cite_label(sources[question.cite[0].source], question.cite[0], lang)
    if question.as_of is not None:
        as_of = str(ui.lookup(lang, "content.as_of_short"))
        label = f"{label} · {as_of.format(date=question.as_of.strftime('%d.%m.%Y'))}"
    return f"{question.explanation.get(lang)}\n📄 {label}"


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def name(self, path: Path) -> str:
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def add(self, path: Path | str, key: str, message: str) -> None:
        name = self.name(path) if isinstance(path, Path) else path
        self.problems.append(Problem(name, key, message))

    def read(self, path: Path) -> dict[str, Any]:
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            self.add(path, "-", f"cannot read: {error}")
            return {}

    def build(self, model: type[Any], raw: Any, path: Path, key: str) -> Any:
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            for detail in error.errors():
                where = ".".join(str(part) for part in detail["loc"])
                self.add(path, f"{key}.{where}" if where else key, detail["msg"])
            return None

    def items(self, model: type[Any], path: Path, table: str) -> Iterator[Any]:
        raw_items = self.read(path).get(table, [])
        if not isinstance(raw_items, list):
            self.add(path, table, "must be an array of tables")
            return
        for index, raw in enumerate(raw_items):
            ident = raw.get("id", index) if isinstance(raw, dict) else index
            item = self.build(model, raw, path, f"{table}[{ident}]")
            if item is not None:
                yield item


def load_catalog(root: Path = DATA_DIR, ui_root: Path | None = None) -> Catalog:
    """Load everything under ``root``; raise ContentError listing every problem found.

    ``ui_root`` lets tests pair a small content fixture with the real interface strings.
    """
    collector = _Collector(root)
    source_items = [
        (path, source)
        for path in sorted((root / "sources").glob("*.toml"))
        for source in collector.items(Source, path, "source")
    ]
    sources = {source.id: source for _, source in source_items}
    topics_with_paths = [
        (path, topic)
        for path in sorted((root / "topics").glob("*.toml"))
        if (topic := collector.build(Topic, collector.read(path), path, "topic")) is not None
    ]
    topics_with_paths.sort(key=lambda pair: (pair[1].order, pair[1].id))
    glossary_path = root / "glossary.toml"
    glossary = list(collector.items(GlossaryTerm, glossary_path, "term"))
    calendar_path = root / "calendar.toml"
    calendar = sorted(
        collector.items(CalendarEvent, calendar_path, "event"),
        key=lambda event: (event.month, event.day, event.year),
    )
    questions_with_paths = [
        (path, question)
        for path in sorted((root / "quiz").glob("*.toml"))
        for question in collector.items(Question, path, "question")
    ]
    ui = _load_ui(collector, ui_root or root / "ui")
    pictures_path = root / "pictures.toml"
    pictures = (
        list(collector.items(PictureQuestion, pictures_path, "picture"))
        if pictures_path.exists()
        else []
    )

    topic_ids = {topic.id for _, topic in topics_with_paths}
    checks = _Checks(collector, sources, topic_ids, ui)
    checks.unique("source", ((path, source.id) for path, source in source_items))
    checks.unique("topic", ((path, t.id) for path, t in topics_with_paths))
    for path, topic in topics_with_paths:
        checks.topic(path, topic)
    checks.unique("fact", ((path, f.id) for path, topic in topics_with_paths for f in topic.facts))
    checks.unique("term", ((glossary_path, term.id) for term in glossary))
    for term in glossary:
        checks.reference(glossary_path, f"term[{term.id}].topic", term.topic)
        checks.citations(glossary_path, f"term[{term.id}]", term.cite)
    checks.unique("event", ((calendar_path, event.id) for event in calendar))
    for event in calendar:
        checks.event(calendar_path, event)
    events = {event.id: event for event in calendar}
    picture_questions = [
        (pictures_path, picture_question(picture, events, ui.phrase))
        for picture in pictures
        if checks.picture(pictures_path, picture, events)
    ]
    checks.duplicate_questions(questions_with_paths)  # a picture question's text is shared
    questions_with_paths += picture_questions
    checks.unique("question", ((path, q.id) for path, q in questions_with_paths))
    for path, question in questions_with_paths:
        checks.question(path, question)

    if collector.problems:
        raise ContentError(collector.problems)
    catalog = Catalog(
        sources=sources,
        topics={topic.id: topic for _, topic in topics_with_paths},
        glossary=sorted(glossary, key=lambda term: (term.abbr or term.name).en.casefold()),
        calendar=calendar,
        questions={question.id: question for _, question in questions_with_paths},
        ui=ui,
        origin={
            **{f"source[{s.id}]": collector.name(path) for path, s in source_items},
            **{f"topic[{t.id}]": collector.name(path) for path, t in topics_with_paths},
            **{f"question[{q.id}]": collector.name(path) for path, q in questions_with_paths},
        },
    )
    for path, question in questions_with_paths:
        for lang in LANGS:
            description = catalog.poll_description(question, lang)
            if len(description) > POLL_DESCRIPTION_MAX:
                collector.add(
                    path,
                    f"question[{question.id}].description.{lang}",
                    f"{len(description)} chars > {POLL_DESCRIPTION_MAX}",
                )
    if collector.problems:
        raise ContentError(collector.problems)
    return catalog


class _Checks:
    def __init__(
        self, collector: _Collector, sources: dict[str, Source], topics: set[str], ui: UiCatalog
    ) -> None:
        self.collector = collector
        self.sources = sources
        self.topics = topics
        self.ui = ui

    def unique(self, kind: str, pairs: Iterable[tuple[Path, str]]) -> None:
        seen: dict[str, Path] = {}
        for path, ident in pairs:
            if ident in seen:
                self.collector.add(
                    path, f"{kind}[{ident}]", f"duplicate id (also in {seen[ident].name})"
                )
            seen[ident] = path

    def reference(self, path: Path, key: str, topic_id: str | None) -> None:
        if topic_id is not None and topic_id not in self.topics:
            self.collector.add(path, key, f"unknown topic {topic_id!r}")

    def citations(self, path: Path, key: str, cites: list[Citation]) -> None:
        for citation in cites:
            source = self.sources.get(citation.source)
            if source is None:
                self.collector.add(path, f"{key}.cite", f"unknown source {citation.source!r}")
            elif source.kind == "seed" and citation.locator is None:
                self.collector.add(path, f"{key}.cite", f"seed {source.id!r} needs a paragraph")

    def length(self, path: Path, key: str, text: Text, limit: int) -> None:
        for lang in LANGS:
            if text.has(lang) and len(text.get(lang)) > limit:
                self.collector.add(path, f"{key}.{lang}", f"{len(text.get(lang))} chars > {limit}")

    def topic(self, path: Path, topic: Topic) -> None:
        base = f"topic[{topic.id}]"
        for related in topic.related:
            self.reference(path, f"{base}.related", related)
        section_ids = Counter(section.id for section in topic.sections)
        for section_id, count in section_ids.items():
            if count > 1:
                self.collector.add(path, f"{base}.sections[{section_id}]", "duplicate id")
        for section in topic.sections:
            key = f"{base}.sections[{section.id}]"
            self.length(path, f"{key}.body", section.body, MAX_SECTION_BODY)
            self.citations(path, key, section.cite)
        for fact in topic.facts:
            key = f"{base}.facts[{fact.id}]"
            self.length(path, f"{key}.text", fact.text, MAX_FACT_TEXT)
            self.citations(path, key, fact.cite)

    def event(self, path: Path, event: CalendarEvent) -> None:
        key = f"event[{event.id}]"
        self.reference(path, f"{key}.topic", event.topic)
        self.citations(path, key, event.cite)
        try:
            # 29 February is a valid day only in leap years; the planner moves it to 28 February
            # in other years (see bot/reminders/planner.py), so its own year must be a leap year.
            date(event.year, event.month, event.day)
        except ValueError:
            self.collector.add(path, key, f"{event.day}.{event.month}.{event.year} is not a date")

    def question(self, path: Path, question: Question) -> None:
        key = f"question[{question.id}]"
        self.reference(path, f"{key}.topic", question.topic)
        self.citations(path, key, question.cite)
        self.length(path, f"{key}.text", question.text, POLL_QUESTION_MAX - QUESTION_PREFIX_ROOM)
        for lang in LANGS:
            if question.explanation.has(lang) and all(
                c.source in self.sources for c in question.cite
            ):
                sent = poll_explanation(question, self.sources, self.ui, lang)
                where = f"{key}.explanation.{lang}"
                if len(sent) > POLL_EXPLANATION_MAX:
                    self.collector.add(
                        path,
                        where,
                        f"{len(sent)} chars with the source line > {POLL_EXPLANATION_MAX}",
                    )
                if sent.count("\n") > POLL_EXPLANATION_MAX_LINE_FEEDS:
                    self.collector.add(path, where, "more than 2 line feeds with the source line")
            if not question.options.has(lang):
                continue
            options = question.options.get(lang)
            for index, option in enumerate(options):
                if not 1 <= len(option.strip()) <= POLL_OPTION_MAX or option != option.strip():
                    self.collector.add(
                        path,
                        f"{key}.options.{lang}[{index}]",
                        "option must be 1-100 trimmed chars",
                    )
            if len({option.casefold() for option in options}) != len(options):
                self.collector.add(path, f"{key}.options.{lang}", "options must be unique")
            correct_text = " ".join(options[index] for index in question.correct)
            if question.text.has(lang) and DISPUTED_FIGURE.search(correct_text):
                pattern = ATTRIBUTION[lang]
                if not pattern.search(question.text.get(lang)):
                    self.collector.add(
                        path,
                        f"{key}.text.{lang}",
                        "the right answer is a disputed figure: the question must name its source",
                    )

    def picture(
        self, path: Path, picture: PictureQuestion, events: dict[str, CalendarEvent]
    ) -> bool:
        """Whether a picture question can be built: its events exist with labels in every
        language, and its wrong options are not labelled on the picture (no key dates) and lie
        ``PICTURE_YEARS_APART`` years or more from the marked event."""
        key = f"picture[{picture.id}]"
        problems = len(self.collector.problems)
        for event_id in [picture.event, *picture.wrong]:
            event = events.get(event_id)
            if event is None:
                self.collector.add(path, key, f"unknown event {event_id!r}")
            elif event.label is None or not all(event.label.has(lang) for lang in LANGS):
                self.collector.add(path, key, f"event {event_id!r} needs a label in ru, en, kk")
            else:
                self.length(path, f"event[{event_id}].label", event.label, POLL_OPTION_MAX)
        marked = events.get(picture.event)
        for event_id in picture.wrong:
            wrong = events.get(event_id)
            if marked is None or wrong is None:
                continue
            if wrong.key:
                self.collector.add(
                    path, key, f"{event_id!r} is a key date: labelled on the picture"
                )
            if abs(wrong.year - marked.year) < PICTURE_YEARS_APART:
                near = f"{event_id!r} is less than {PICTURE_YEARS_APART} years from {marked.id!r}"
                self.collector.add(path, key, near)
        return len(self.collector.problems) == problems

    def duplicate_questions(self, pairs: list[tuple[Path, Question]]) -> None:
        for lang in REQUIRED_LANGS:
            seen: dict[str, str] = {}
            for path, question in pairs:
                norm = " ".join(question.text.get(lang).casefold().split())
                if norm in seen:
                    self.collector.add(
                        path, f"question[{question.id}].text.{lang}", f"same as {seen[norm]}"
                    )
                seen[norm] = question.id


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# Interface strings that Telegram limits: the bot's description (setMyDescription) and short
# description (setMyShortDescription), set at start-up in every language.
UI_LENGTH_LIMITS = {"profile.description": 512, "profile.short_description": 120}


def _load_ui(collector: _Collector, folder: Path) -> UiCatalog:
    strings: dict[Lang, dict[str, str | dict[str, str]]] = {}
    for lang in LANGS:
        path = folder / f"{lang}.toml"
        if not path.exists():
            if lang in REQUIRED_LANGS:
                collector.add(path, "-", "missing interface strings")
            continue
        strings[lang] = _flatten(collector.read(path))
    if not all(lang in strings for lang in REQUIRED_LANGS):
        return UiCatalog(strings)
    reference = strings["en"]
    for lang, table in strings.items():
        path = folder / f"{lang}.toml"
        for key in sorted(set(table) - set(reference)):
            collector.add(path, key, "key not in en.toml")
        for key, value in reference.items():
            if key not in table:
                if lang in REQUIRED_LANGS:
                    collector.add(path, key, "missing")
                continue
            for problem in _ui_value_problems(table[key], value):
                collector.add(path, key, problem)
        for key, limit in UI_LENGTH_LIMITS.items():
            if key in table and len(str(table[key])) > limit:
                collector.add(path, key, f"{len(str(table[key]))} chars > {limit}")
    return UiCatalog(strings)


def _ui_value_problems(value: str | dict[str, str], reference: str | dict[str, str]) -> list[str]:
    problems = []
    if _placeholders_of(value) != _placeholders_of(reference):
        problems.append("placeholders differ from en.toml")
    if isinstance(value, dict):
        if "other" not in value:
            problems.append("plural forms need 'other'")
        if not all("{count}" in form for form in value.values()):
            problems.append("every plural form must show {count}")
    return problems


def _placeholders_of(value: str | dict[str, str]) -> set[str]:
    if isinstance(value, str):
        return _placeholders(value)
    return set().union(*(_placeholders(form) for form in value.values()))


PLURAL_CATEGORIES = {"zero", "one", "two", "few", "many", "other"}


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str | dict[str, str]]:
    flat: dict[str, str | dict[str, str]] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict) and value and set(value) <= PLURAL_CATEGORIES:
            flat[full] = {form: str(text) for form, text in value.items()}
        elif isinstance(value, dict):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = str(value)
    return flat


def iter_texts(model: BaseModel) -> Iterator[Text | TextList]:
    """Every Text/TextList inside a model, for translation coverage reports."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Text | TextList):
                yield item
            elif isinstance(item, BaseModel):
                yield from iter_texts(item)
