"""Small pure pieces: i18n plurals, Telegram HTML, callback data sizes, config."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from aiogram.filters import Command
from aiogram.filters.command import CommandException
from aiogram.types import CallbackQuery, Message
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app.config import Settings
from bot.app.runner import freeze_start_up_objects
from bot.offline.telegram_html import HtmlParseError, parse_html
from bot.telegram.callbacks import (
    FactCb,
    GlossaryCb,
    LanguageCb,
    MenuAction,
    MenuCb,
    QuizCb,
    TimelineCb,
    TopicCb,
)
from bot.telegram.filters import CallbackKinds, CommandNamed
from bot.telegram.i18n import Html, Translator, plural_form, resolve_language
from content.loader import Catalog


@pytest.mark.parametrize(
    ("lang", "count", "form"),
    [("ru", 1, "one"), ("ru", 2, "few"), ("ru", 5, "many"), ("ru", 21, "one"), ("ru", 11, "many"),
     ("en", 1, "one"), ("en", 2, "other"), ("kk", 1, "one"), ("kk", 5, "other")],
)  # fmt: skip
def test_cldr_plural_forms(lang: str, count: int, form: str) -> None:
    assert plural_form(lang, count) == form  # type: ignore[arg-type]


def test_translator_plurals_and_escaping(catalog: Catalog) -> None:
    t = Translator(catalog.ui, "ru")
    assert "5 результатов" in t("search.header", count=5, query="<x>")
    assert "&lt;x&gt;" in t("search.header", count=5, query="<x>")
    assert "<b>" in t("search.header", count=1, query=Html("<b>ok</b>"))


def test_kk_falls_back_to_ru_per_string(catalog: Catalog) -> None:
    kk = Translator(catalog.ui, "kk")
    ru = Translator(catalog.ui, "ru")
    if not catalog.ui.has("kk", "help.header"):
        assert kk("help.header") == ru("help.header")


@pytest.mark.parametrize(
    ("code", "expected"),
    [(None, "ru"), ("kk", "kk"), ("ru-RU", "ru"), ("en-GB", "en"), ("de", "en"), ("uz", "en")],
)
def test_language_resolution(code: str | None, expected: str) -> None:
    assert resolve_language(code, "ru") == expected


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>x", "Can't find end tag corresponding to start tag b"),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("ё <b", "Unclosed start tag at byte offset 3"),
    ],
)
def test_telegram_html_errors(html: str, error: str) -> None:
    with pytest.raises(HtmlParseError, match="^" + error.replace("(", r"\(") + "$"):
        parse_html(html)


def test_telegram_html_plain_text() -> None:
    assert (
        parse_html('<b>a</b> &amp; <a href="x">b</a> &lt; &unknown; & c')
        == "a & b < &unknown; & c"
    )


def test_callback_data_fits_64_bytes_for_the_longest_ids() -> None:
    longest = "x" * 24  # content/models.py ID_PATTERN allows 24 characters
    packed = [
        TopicCb(topic=longest, section=99).pack(),
        FactCb(topic=longest).pack(),
        TimelineCb(page=999).pack(),
        GlossaryCb(page=999).pack(),
        LanguageCb(lang="kk").pack(),
        *(MenuCb(action=action).pack() for action in MenuAction),
    ]
    assert max(len(data.encode()) for data in packed) <= 64


def test_admin_ids_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ADMIN_IDS", "1, 2 3")
    assert Settings(_env_file=None).bot_admin_ids == {1, 2, 3}


def test_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="unknown IANA time zone"):
        Settings(_env_file=None)


def near_misses(heads: list[str], tails: list[str]) -> st.SearchStrategy[str]:
    """Any text, or one of ``heads`` (the accepted one and its near misses) with a tail."""
    return st.one_of(
        st.text(max_size=40),
        st.builds(lambda head, tail: head + tail, st.sampled_from(heads), st.sampled_from(tails)),
    )


@given(
    near_misses(
        ["/fact", "/FACT", "/Fact", "/facts", "/fac", "/start", "/", "/факт"],
        ["", " x", "@nwfz_bot", "@Other_Bot y", "\nz", "@", "@@"],
    )
)
@settings(max_examples=300, derandomize=True, database=None)
def test_the_command_pre_check_admits_every_message_the_command_filter_takes(text: str) -> None:
    """CommandNamed only saves work: it must never turn away what Command("fact") accepts."""
    message = Message.model_validate(
        {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": text or None}
    )
    pre_check = CommandNamed(frozenset({"fact"}))
    try:
        parsed = Command.extract_command(text)
        accepted = parsed.prefix == "/" and parsed.command == "fact"
    except CommandException:
        accepted = False
    admitted = asyncio.run(pre_check(message))
    if accepted:
        assert admitted, "the pre-check turned away a /fact the Command filter accepts"
    if not (text or "").startswith("/fact") and not (text or "").casefold().startswith("/fact"):
        assert not admitted, "the pre-check lets through what cannot be /fact"


@given(
    near_misses(
        ["tp", "TP", "t", "tpx", "qz", "fa", "", "тп"],
        ["", ":", ":canwfz", ":canwfz:2", ":canwfz:-1", ":a:b:c", "::", ":x:"],
    )
)
@settings(max_examples=300, derandomize=True, database=None)
def test_the_callback_pre_check_admits_every_press_the_kinds_take(data: str) -> None:
    """CallbackKinds only saves work: it must never turn away what TopicCb or FactCb unpack."""
    query = CallbackQuery.model_validate(
        {"id": "1", "from": {"id": 1, "is_bot": False, "first_name": "U"},
         "chat_instance": "x", "data": data}
    )  # fmt: skip
    pre_check = CallbackKinds(frozenset({TopicCb.__prefix__, FactCb.__prefix__}))
    admitted = asyncio.run(pre_check(query))
    for kind in (TopicCb, FactCb, QuizCb):
        try:
            kind.unpack(data)
        except (TypeError, ValueError):
            continue
        assert admitted == (kind is not QuizCb), f"{kind.__name__} unpacks {data!r}"
    if not data.startswith(("tp:", "fa:")) and data not in ("tp", "fa"):
        assert not admitted, "the pre-check lets through what cannot be a topic or fact press"


class _Node:
    peer: _Node | None = None


def test_start_up_objects_are_frozen_after_a_collection_that_frees_their_garbage() -> None:
    """What start-up left alive is never walked again; what it left as garbage is not kept."""
    kept, dropped = _Node(), _Node()
    dropped.peer = dropped  # a cycle: only a collection frees it
    dropped_ref = weakref.ref(dropped)
    del dropped
    frozen_before = gc.get_freeze_count()
    try:
        freeze_start_up_objects()
        assert dropped_ref() is None, "start-up's garbage was frozen, never to be freed"
        assert gc.get_freeze_count() > frozen_before
        assert not any(o is kept for o in gc.get_objects()), "a live object is still walked"
    finally:
        gc.unfreeze()
