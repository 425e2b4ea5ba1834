"""The timeline picture: a 1600x900 PNG of the key dates, the same bytes for the same input."""

from __future__ import annotations

import struct
import time
import zlib

import pytest

from bot.library.timeline_chart import (
    LABEL_PAD,
    MARGIN_X,
    WIDTH_PX,
    _event_x,
    _Label,
    _place,
    render_timeline,
)
from content.loader import Catalog
from content.models import LANGS, CalendarEvent, Lang, Text
from tests.vocabulary import PNG_SIGNATURE, png_size

TITLES: dict[Lang, str] = {
    "ru": "Ключевые даты: от полигона до безъядерной зоны",
    "en": "Key dates: from the test site to a nuclear-weapon-free zone",
    "kk": "Негізгі күндер: полигоннан ядролық қарудан азат аймаққа дейін",
}
KAZAKH_LETTERS = "ӘәҒғҚқҢңӨөҰұҮүҺһІі"


@pytest.fixture(scope="module")
def key_events(shipped: Catalog) -> list[CalendarEvent]:
    events = [event for event in shipped.calendar if event.key]
    assert 8 <= len(events) <= 20
    return events


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == PNG_SIGNATURE
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        offset += 12 + length
    assert chunks[-1][0] == b"IEND"
    return chunks


@pytest.mark.parametrize("lang", LANGS)
def test_key_dates_picture(key_events: list[CalendarEvent], lang: Lang) -> None:
    started = time.perf_counter()
    png = render_timeline(key_events, lang, TITLES[lang])
    elapsed = time.perf_counter() - started

    assert png.startswith(PNG_SIGNATURE)
    assert png_size(png) == (1600, 900)
    assert len(png) < 1_000_000
    # Telegram's photo limits: width + height <= 10000, aspect ratio <= 20
    assert 1600 + 900 <= 10_000
    assert 1600 / 900 <= 20
    # nothing that changes from run to run or from version to version: no time, no software
    kinds = {kind for kind, _body in png_chunks(png)}
    assert not kinds & {b"tIME", b"tEXt", b"zTXt", b"iTXt"}
    assert elapsed < 10


@pytest.mark.parametrize("lang", LANGS)
def test_same_input_same_bytes(key_events: list[CalendarEvent], lang: Lang) -> None:
    first = render_timeline(key_events, lang, TITLES[lang])
    second = render_timeline(list(reversed(key_events)), lang, TITLES[lang])
    assert first == second  # the order the caller passes does not matter either
    assert render_timeline(key_events, lang, "another title") != first


def test_kazakh_letters_have_glyphs(key_events: list[CalendarEvent]) -> None:
    # filterwarnings = error: a missing glyph would fail this test
    event = key_events[0].model_copy(
        update={"text": Text(ru="x", en="x", kk=f"{KAZAKH_LETTERS} {KAZAKH_LETTERS.lower()}")}
    )
    png = render_timeline([event], "kk", KAZAKH_LETTERS)
    assert png_size(png) == (1600, 900)


def test_a_missing_glyph_would_be_noticed(key_events: list[CalendarEvent]) -> None:
    """The glyph test above means something: matplotlib warns about a letter its font lacks."""
    with pytest.warns(UserWarning, match="missing from font"):
        render_timeline(key_events[:1], "en", "漢字")


def test_more_events_and_edge_cases(shipped: Catalog, key_events: list[CalendarEvent]) -> None:
    """A few more than the key dates fit; all 57 are squeezed in (the picture is not made for
    that many, but it must not fail); one event; none."""
    more = key_events + [e for e in shipped.calendar if not e.key and 1985 <= e.year <= 2019][:6]
    for events in (more, list(shipped.calendar), key_events[:1], []):
        png = render_timeline(events, "ru", TITLES["ru"])
        assert png_size(png) == (1600, 900)
        assert len(png) < 1_000_000


def labels_at(xs: list[float], widths: list[float]) -> list[_Label]:
    return [
        _Label(x=x, key=True, date="", body="", width=w, body_height=60, date_height=16, scale=1.0)
        for x, w in zip(xs, widths, strict=True)
    ]


@pytest.mark.parametrize("extra", [0, 3, 6])
def test_labels_never_touch(shipped: Catalog, key_events: list[CalendarEvent], extra: int) -> None:
    """Layout invariants on the real dates (the key ones clustered in 1989-1996, 2006-2009,
    2014-2021, plus more from the busiest years): no two labels in one row overlap, no leader
    line runs through a label, no two leader lines cross, nothing leaves the picture."""
    others = [e for e in shipped.calendar if not e.key and 1985 <= e.year <= 2019][:extra]
    events = sorted(key_events + others, key=lambda e: (e.year, e.month, e.day))
    widths = [230.0 + 17 * (i % 4) for i in range(len(events))]  # widths as text makes them
    labels = labels_at([_event_x(e) for e in events], widths)
    placements = _place(labels, squeeze=False)
    assert placements is not None

    for above in (True, False):
        side = [(lab, p) for lab, p in zip(labels, placements, strict=True) if p.above == above]
        assert [p.center for _lab, p in side] == sorted(p.center for _lab, p in side)
        for i, (label, placement) in enumerate(side):
            half = label.width / 2
            assert placement.center - half >= MARGIN_X
            assert placement.center + half <= WIDTH_PX - MARGIN_X
            for other, other_placement in side[i + 1 :]:
                distance = other_placement.center - placement.center
                # the straight part of each leader line clears the other label
                assert distance >= half + LABEL_PAD - 1e-6
                assert distance >= other.width / 2 + LABEL_PAD - 1e-6
                if other_placement.row == placement.row:
                    assert distance >= half + other.width / 2 + LABEL_PAD - 1e-6
    # labels alternate above and below in date order
    assert [p.above for p in placements] == [i % 2 == 0 for i in range(len(placements))]
