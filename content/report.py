"""The ``check-content`` report: counts per language, every kk item that falls back to ru, and
what the content guarantees checked (numbers, freshness, sources)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel

from content.guarantees import Findings, sources_summary
from content.loader import Catalog, iter_texts
from content.models import LANGS, Lang


def content_report(catalog: Catalog) -> str:
    lines: list[str] = []
    groups: dict[str, Sequence[BaseModel]] = {
        "topics": list(catalog.topics.values()),
        "sections": [s for t in catalog.topics.values() for s in t.sections],
        "facts": list(catalog.facts.values()),
        "glossary terms": catalog.glossary,
        "calendar events": catalog.calendar,
        "quiz questions": list(catalog.questions.values()),
    }
    header = f"{'':18}" + "".join(f"{lang:>8}" for lang in LANGS) + "   kk falls back to ru"
    lines.append(header)
    fallbacks: list[str] = []
    for name, items in groups.items():
        complete: Counter[Lang] = Counter()
        for item in items:
            texts = list(iter_texts(item))
            for lang in LANGS:
                if all(text.has(lang) for text in texts):
                    complete[lang] += 1
            if not all(text.has("kk") for text in texts):
                fallbacks.append(f"{name}: {getattr(item, 'id', '?')}")
        missing = len(items) - complete["kk"]
        counts = "".join(f"{complete[lang]:>8}" for lang in LANGS)
        lines.append(f"{name:18}{counts}   {missing}")
    ui_keys = catalog.ui.keys()
    ui_counts = "".join(
        f"{sum(catalog.ui.has(lang, key) for key in ui_keys):>8}" for lang in LANGS
    )
    ui_missing = sum(not catalog.ui.has("kk", key) for key in ui_keys)
    lines.append(f"{'interface strings':18}{ui_counts}   {ui_missing}")
    questions = list(catalog.questions.values())
    if questions:
        by_topic = Counter(q.topic for q in questions)
        by_difficulty = Counter(q.difficulty for q in questions)
        lines.append("")
        lines.append(
            "quiz questions by topic: "
            + ", ".join(f"{k} {v}" for k, v in sorted(by_topic.items()))
        )
        lines.append(
            "quiz questions by difficulty: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(by_difficulty.items()))
        )
    lines.append("")
    if fallbacks or ui_missing:
        lines.append(
            f"kk falls back to ru for {len(fallbacks)} item(s)"
            f" and {ui_missing} interface string(s)"
        )
    else:
        lines.append("kk complete: no fallback to ru")
    return "\n".join(lines)


def guarantees_report(catalog: Catalog, findings: Findings) -> str:
    """How many items and figures were checked, what is dated, and every exception used."""
    lines = [
        f"numbers against sources: {findings.items_checked} items (those citing a seed "
        f"passage, and glossary terms), {findings.figures_checked} numbers and dates checked",
        f"time-sensitive statements dated: {len(findings.dated)}; next review due "
        + (min(str(item.review_by) for item in findings.dated) if findings.dated else "never"),
        *sources_summary(catalog),
        f"reviewed exceptions used: {len(findings.exemptions_used)} (content/exceptions.toml)",
    ]
    lines += [
        f"  {exemption.item} {exemption.figure}: {exemption.reason}"
        for exemption in findings.exemptions_used
    ]
    return "\n".join(lines)
