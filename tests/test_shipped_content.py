"""The content that ships: it loads, and every screen it makes passes Telegram's checks."""

from __future__ import annotations

import pytest

from bot.offline.world import World
from content.loader import Catalog
from content.models import REQUIRED_LANGS


def test_every_seed_is_cited(shipped: Catalog) -> None:
    cited = {
        citation.source
        for topic in shipped.topics.values()
        for item in [*topic.sections, *topic.facts]
        for citation in item.cite
    }
    seeds = {source.id for source in shipped.sources.values() if source.kind == "seed"}
    assert seeds == {"seed000", "seed001", "seed002", "seed003", "seed004"}
    assert seeds <= cited


def test_required_languages_are_complete(shipped: Catalog) -> None:
    assert len(shipped.topics) == 12
    for topic in shipped.topics.values():
        for section in topic.sections:
            for lang in REQUIRED_LANGS:
                assert section.body.has(lang), (topic.id, section.id, lang)


def test_conflicting_figures_are_explained(shipped: Catalog) -> None:
    text = " ".join(
        section.body.en for topic in shipped.topics.values() for section in topic.sections
    )
    assert "468" in text and "almost 500" in text
    assert "1216" in text or "1,216" in text
    assert "1,400" in text or "1400" in text


@pytest.mark.parametrize("lang", ["ru", "en", "kk"])
async def test_every_screen_renders_within_limits(shipped_world: World, lang: str) -> None:
    """Open every topic and section, page through the timeline and the glossary, list sources."""
    world = shipped_world
    user = world.user("Reader", lang)
    await user.send("/topics")
    for topic in world.dispatcher["catalog"].topics.values():
        await user.send(f"/start {topic.id}")
        for number, _ in enumerate(topic.sections, start=1):
            await user.tap(f"{number}. ")
            await user.tap("☰")
    await user.send("/timeline")
    while True:
        try:
            await user.tap("▶")
        except LookupError:
            break
    await user.send("/glossary")
    while True:
        try:
            await user.tap("▶")
        except LookupError:
            break
    await user.send("/sources")
    await user.send("/about")
    assert not world.telegram.violations
