"""The content guarantees ``check-content`` enforces on top of loading (issue 11, section 2).

1. Numbers against sources: every figure (number, date, year, ordinal, percentage) in an item
   that cites a seed passage appears in that passage, or in a public source the item also
   cites. A glossary term is held to its sources whatever they are, and one that states a
   figure must cite. A public source gives what its entry says: its title, symbol, date and
   ``figures`` (each reviewed against ../shared/FACTS.md). Quiz distractors are deliberately
   false and are not checked; the question, its right answers and its explanation are.
2. Freshness: a dated statement (``as_of``/``review_by``) fails once its ``review_by`` has
   passed; a statement that reads as time-sensitive (TIME_SENSITIVE) must be dated.
3. Sources complete: every source has its title and short label in ru, en and kk.

Deliberate exceptions to 1 and 2 live in one reviewed list, ``content/exceptions.toml``, each
with its reason; an exception that no longer matches anything is itself a problem, so the list
cannot rot. The seed documents are vendored in ``content/seeds/`` (byte-identical copies of
../shared/seeds, a test keeps them so): the check must run from a fresh clone, a wheel or the
Docker image, none of which has ../shared.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from content import numbers
from content.loader import Catalog, Problem
from content.models import LANGS, Citation, Lang, Source, Text

SEEDS_DIR = Path(__file__).parent / "seeds"
EXCEPTIONS_PATH = Path(__file__).parent / "exceptions.toml"


@dataclass(frozen=True)
class Exemption:
    """One reviewed exception: ``figure`` in ``item`` (or ``figure = "undated"``)."""

    item: str
    figure: str
    reason: str


@dataclass(frozen=True)
class Checked:
    """A cited item as the checks see it: its texts per language and what it cites."""

    file: str
    key: str
    texts: tuple[tuple[str, Text], ...]  # (field name, text): ("body", ...), ("explanation", ...)
    cites: tuple[Citation, ...]
    stated: tuple[str, ...] = ()  # figures the item states outside its texts (an event's date)
    as_of: date | None = None
    review_by: date | None = None
    # Held to its sources even when it cites no seed passage (glossary terms): nothing else
    # vouches for a glossary note's figures, while topics and quizzes were reviewed row by row
    # against FACTS.md when their public sources were added.
    every_figure_sourced: bool = False


@dataclass
class Findings:
    problems: list[Problem] = field(default_factory=list)
    items_checked: int = 0
    figures_checked: int = 0
    exemptions_used: list[Exemption] = field(default_factory=list)
    dated: list[Checked] = field(default_factory=list)


class SeedLibrary:
    """The seed documents, cut into the passages a citation names."""

    def __init__(self, folder: Path = SEEDS_DIR) -> None:
        self.folder = folder
        self._lines: dict[str, list[str]] = {}

    def lines(self, file: str) -> list[str] | None:
        if file not in self._lines:
            path = self.folder / file
            if not path.is_file():
                return None
            self._lines[file] = path.read_text(encoding="utf-8").splitlines()
        return self._lines[file]

    def passage(self, source: Source, locator: str) -> str | None:
        """``L76``/``L87-89``: those lines (as ``cat -n`` numbers them); ``12``: paragraph 12."""
        lines = self.lines(source.file or "")
        if lines is None:
            return None
        match = re.fullmatch(r"(L?)(\d+)(?:-(\d+))?", locator)
        if match is None:
            return None
        first = int(match[2])
        last = int(match[3] or first)
        if match[1]:
            if not 1 <= first <= last <= len(lines):
                return None
            return "\n".join(lines[first - 1 : last])
        text = "\n".join(lines)
        starts = [_paragraph_start(text, number) for number in range(first, last + 2)]
        if any(start is None for start in starts[:-1]):
            return None
        begin = starts[0] or 0
        end = starts[-1] if starts[-1] is not None else len(text)
        return text[begin:end]


def _paragraph_start(text: str, number: int) -> int | None:
    match = re.search(rf"(?m)^\s*{number}\.\s", text)
    return match.start() if match else None


def load_exemptions(path: Path = EXCEPTIONS_PATH) -> list[Exemption]:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return [
        Exemption(item=entry["item"], figure=str(entry["figure"]), reason=entry["reason"])
        for entry in raw.get("exception", [])
    ]


def cited_items(catalog: Catalog) -> Iterator[Checked]:
    """Every item that states facts with citations, with the texts a reader sees."""
    for topic in catalog.topics.values():
        file = catalog.origin.get(f"topic[{topic.id}]", "topics")
        for section in topic.sections:
            yield Checked(
                file,
                f"topic[{topic.id}].sections[{section.id}]",
                (("title", section.title), ("body", section.body)),
                tuple(section.cite),
                as_of=section.as_of,
                review_by=section.review_by,
            )
        for fact in topic.facts:
            yield Checked(
                file,
                f"topic[{topic.id}].facts[{fact.id}]",
                (("text", fact.text),),
                tuple(fact.cite),
                as_of=fact.as_of,
                review_by=fact.review_by,
            )
    for event in catalog.calendar:
        yield Checked(
            "calendar.toml",
            f"event[{event.id}]",
            (("text", event.text), *((("label", event.label),) if event.label else ())),
            tuple(event.cite),
            stated=(f"{event.year:04d}-{event.month:02d}-{event.day:02d}",),
            as_of=event.as_of,
            review_by=event.review_by,
        )
    for term in catalog.glossary:
        yield Checked(
            "glossary.toml",
            f"term[{term.id}]",
            (("name", term.name), *((("note", term.note),) if term.note else ())),
            tuple(term.cite),
            as_of=term.as_of,
            review_by=term.review_by,
            every_figure_sourced=True,
        )
    for question in catalog.questions.values():
        right = tuple(
            Text.model_validate(
                {
                    lang: question.options.get(lang)[index]
                    for lang in LANGS
                    if question.options.has(lang)
                }
            )
            for index in question.correct
        )
        yield Checked(
            catalog.origin.get(f"question[{question.id}]", "quiz"),
            f"question[{question.id}]",
            (
                ("text", question.text),
                *(("right option", option) for option in right),
                ("explanation", question.explanation),
            ),
            tuple(question.cite),
            as_of=question.as_of,
            review_by=question.review_by,
        )


def own_figures(source: Source) -> set[str]:
    """What any source gives about itself: its date ("the 2019 working paper") and symbol."""
    iso_date = re.fullmatch(r"\d{4}(?:-\d{2}){0,2}", source.date)
    stated = {source.date} if iso_date else set(numbers.values(source.date))
    return numbers.covers(stated | set(numbers.values(source.symbol or "")))


def public_figures(source: Source) -> set[str]:
    """What a public source's entry says it gives: its own date and symbol, the figures its
    title names and its reviewed ``figures``."""
    written = [source.title.get(lang) for lang in LANGS if source.title.has(lang)]
    written += source.figures
    return own_figures(source) | numbers.covers(
        value for text in written for value in numbers.values(text)
    )


class _NumberCheck:
    def __init__(self, catalog: Catalog, seeds: SeedLibrary, exemptions: list[Exemption]) -> None:
        self.catalog = catalog
        self.seeds = seeds
        self.exempt = {(e.item, e.figure): e for e in exemptions}
        self.used: dict[tuple[str, str], Exemption] = {}

    def run(self, findings: Findings) -> None:
        for item in cited_items(self.catalog):
            allowed = self.allowed(item, findings)
            if allowed is None:
                continue
            findings.items_checked += 1
            for value in item.stated:
                findings.figures_checked += 1
                self.judge(item, "date", value, value, allowed, findings)
            for name, text in item.texts:
                for lang in LANGS:
                    if not text.has(lang):
                        continue
                    for figure in numbers.extract(text.get(lang)):
                        findings.figures_checked += 1
                        where = f"{name}.{lang}"
                        self.judge(item, where, figure.value, figure.text, allowed, findings)

    def allowed(self, item: Checked, findings: Findings) -> set[str] | None:
        """The figures the item's sources give; None when the item is not held to them (it
        cites no seed passage and need not)."""
        stated: set[str] = set()
        cites_seed = False
        for citation in item.cites:
            source = self.catalog.sources[citation.source]
            if source.kind == "public":
                stated |= public_figures(source)
                continue
            cites_seed = True
            stated |= own_figures(source)
            passage = self.seeds.passage(source, citation.locator or "")
            if passage is None:
                findings.problems.append(
                    Problem(
                        item.file,
                        f"{item.key}.cite",
                        f"{source.id}#{citation.locator} names no passage of {source.file}",
                    )
                )
                continue
            stated |= numbers.covers(numbers.values(passage))
        return stated if cites_seed or item.every_figure_sourced else None

    def judge(
        self,
        item: Checked,
        where: str,
        value: str,
        written: str,
        allowed: set[str],
        findings: Findings,
    ) -> None:
        if value in allowed:
            return
        exemption = self.exempt.get((item.key, value))
        if exemption is not None:
            self.used[(item.key, value)] = exemption
            return
        findings.problems.append(
            Problem(
                item.file,
                f"{item.key}.{where}",
                f"{written!r} ({value}) is in none of its cited passages or public sources"
                if item.cites
                else f"{written!r} ({value}) is stated but the item cites no source",
            )
        )


# Present-tense claims that can stop being true: who chairs or holds an office now, how many
# states have ratified or joined and who has not, what has not (yet) entered into force, what is
# coming up, sanctions, "today" and "the latest available information", records ("the closest
# ever", "the largest"). An item that says one of these must carry as_of and review_by. "Today"
# right after a bracket is a place's new name ("Semipalatinsk (today Semey)"), not a claim.
TIME_SENSITIVE: dict[Lang, re.Pattern[str]] = {
    "ru": re.compile(
        r"председательств\w* (?:в \d{4}|на \d{4})|председательствует|в настоящее время|"
        r"до сих пор|не вступил\w* в силу|ещё не|еще не|пока не|не ратифицировал|"
        r"санкци|предстоящ|в этом году|ныне действующ|по последним (?:доступным )?(?:данным|"
        r"сведениям)|(?<!\()\b(?:сегодня|на сегодняшний день)\b|крупнейш|за всю историю|"
        r"является единственн",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\bchair(?:s|ing|manship)? (?:in|for) \d{4}|\bholds the chair|\bcurrently\b|"
        r"\bhas not (?:yet )?entered into force|\bnot yet\b|\bha(?:s|ve) not (?:yet )?"
        r"(?:ratified|signed|joined)\b|\bsanctions?\b|\bupcoming\b|\bthis year\b|"
        r"\blatest available\b|(?<!\()\b(?:today|nowadays|at present)\b|\bever\b|"
        r"\bis (?:now |still )?the (?:only|largest|biggest)\b",
        re.IGNORECASE,
    ),
    "kk": re.compile(
        r"төрағалық\w* (?:атқарады|етеді)|қазіргі уақытта|әлі күнге|күшіне енген жоқ|"
        r"әлі\b|санкци|алдағы|биыл|соңғы қолжетімді|ратификацияламаған|(?<!\()\bбүгінде\b|"
        r"тарихтағы ең",
        re.IGNORECASE,
    ),
}


def _check_freshness(
    catalog: Catalog, today: date, exemptions: list[Exemption], findings: Findings
) -> set[str]:
    """Dated items past their review date and undated time-sensitive ones; returns the
    exempted item keys it used."""
    undated_ok = {e.item for e in exemptions if e.figure == "undated"}
    used: set[str] = set()
    for item in cited_items(catalog):
        if item.review_by is not None:
            findings.dated.append(item)
            if item.review_by < today:
                findings.problems.append(
                    Problem(
                        item.file,
                        f"{item.key}.review_by",
                        f"{item.review_by} has passed (true as of {item.as_of}): re-check the "
                        "statement against its sources, then re-date or rewrite it",
                    )
                )
            continue
        hits = [
            match.group()
            for _, text in item.texts
            for lang in LANGS
            if text.has(lang) and (match := TIME_SENSITIVE[lang].search(text.get(lang)))
        ]
        if not hits:
            continue
        if item.key in undated_ok:
            used.add(item.key)
            continue
        findings.problems.append(
            Problem(
                item.file,
                item.key,
                f"time-sensitive ({', '.join(repr(hit) for hit in hits[:3])}) but has no "
                "as_of/review_by",
            )
        )
    return used


def page_address(url: str | None) -> str | None:
    """The page a URL names, spelled one way (no scheme, no "www.", no trailing slash); None for
    no URL or a site's home page, which many articles of one site share."""
    if url is None:
        return None
    address = re.sub(r"^https?://(?:www\.)?", "", url.strip()).rstrip("/").casefold()
    return address if "/" in address else None


def _check_sources(catalog: Catalog, findings: Findings) -> None:
    # One page, one entry: twins drift apart (different dates, labels and figures for the same
    # article) and /sources lists the article twice.
    first_on_page: dict[str, str] = {}
    for source in catalog.sources.values():
        file = catalog.origin.get(f"source[{source.id}]", "sources")
        for name, text in (("title", source.title), ("short", source.short)):
            missing = [lang for lang in LANGS if not text.has(lang)]
            if missing:
                findings.problems.append(
                    Problem(file, f"source[{source.id}].{name}", f"no {', '.join(missing)}")
                )
        page = page_address(source.url)
        if page is None:
            continue
        if page in first_on_page:
            findings.problems.append(
                Problem(
                    file,
                    f"source[{source.id}].url",
                    f"the same page as source[{first_on_page[page]}]: merge them into one entry",
                )
            )
        else:
            first_on_page[page] = source.id


def check_guarantees(
    catalog: Catalog,
    today: date,
    seeds: SeedLibrary | None = None,
    exemptions: list[Exemption] | None = None,
) -> Findings:
    """Run the three guarantees over ``catalog``; ``today`` decides what has expired."""
    exemptions = load_exemptions() if exemptions is None else exemptions
    findings = Findings()
    number_check = _NumberCheck(catalog, seeds or SeedLibrary(), exemptions)
    number_check.run(findings)
    undated_used = _check_freshness(catalog, today, exemptions, findings)
    _check_sources(catalog, findings)
    for exemption in exemptions:
        used = (
            exemption.item in undated_used
            if exemption.figure == "undated"
            else (exemption.item, exemption.figure) in number_check.used
        )
        if used:
            findings.exemptions_used.append(exemption)
        else:
            findings.problems.append(
                Problem(
                    "exceptions.toml",
                    f"{exemption.item} {exemption.figure}",
                    "matches nothing any more: remove it",
                )
            )
    return findings


def sources_summary(catalog: Catalog) -> list[str]:
    """Sources per kind, and how many have a title and short label in each language."""
    by_kind = Counter(source.kind for source in catalog.sources.values())
    complete = {
        lang: sum(
            source.title.has(lang) and source.short.has(lang)
            for source in catalog.sources.values()
        )
        for lang in LANGS
    }
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(by_kind.items()))
    languages = ", ".join(f"{lang} {complete[lang]}" for lang in LANGS)
    return [
        f"sources: {len(catalog.sources)} ({kinds}); with title and label in {languages}",
    ]
