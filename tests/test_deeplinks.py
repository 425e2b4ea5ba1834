"""Deep link payloads, t.me URLs and the QR codes printed on posters (bot.library.deeplinks)."""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from bot.__main__ import qr as qr_command
from bot.library.deeplinks import (
    PAYLOAD_PATTERN,
    SUBSCRIBE_PAYLOAD,
    Payload,
    PayloadKind,
    deep_link,
    parse_payload,
    qr_png,
    qr_svg,
    quiz_payload,
    topic_payload,
    with_language,
)
from content.models import LANGS, Lang

BOT = "nwfz_kz_bot"
URL = "https://t.me/nwfz_kz_bot?start=quiz-canwfz_kk"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"


def _modules(version: int) -> int:
    return 17 + 4 * version


# --- payloads ------------------------------------------------------------------------------


def test_builders() -> None:
    assert topic_payload("canwfz") == "canwfz"
    assert topic_payload("nsa-protocol") == "nsa-protocol"
    assert quiz_payload(None) == "quiz"
    assert quiz_payload("ctbt") == "quiz-ctbt"
    assert SUBSCRIBE_PAYLOAD == "subscribe"
    assert with_language("canwfz", "kk") == "canwfz_kk"
    assert with_language("quiz", "en") == "quiz_en"
    assert with_language("subscribe", "ru") == "subscribe_ru"
    assert with_language("quiz-ctbt", None) == "quiz-ctbt"


@pytest.mark.parametrize("lang", [None, *LANGS])
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (topic_payload("canwfz"), Payload(PayloadKind.TOPIC, "canwfz")),
        (topic_payload("unscr-1540"), Payload(PayloadKind.TOPIC, "unscr-1540")),
        (quiz_payload(None), Payload(PayloadKind.QUIZ, None)),
        (quiz_payload("semipalatinsk"), Payload(PayloadKind.QUIZ, "semipalatinsk")),
        (quiz_payload("nwfz-world"), Payload(PayloadKind.QUIZ, "nwfz-world")),
        (SUBSCRIBE_PAYLOAD, Payload(PayloadKind.SUBSCRIBE, None)),
    ],
)
def test_round_trip(payload: str, expected: Payload, lang: Lang | None) -> None:
    text = with_language(payload, lang)
    parsed = parse_payload(text)
    assert parsed == Payload(expected.kind, expected.topic, lang)
    assert parsed is not None
    assert parsed.encode() == text
    assert PAYLOAD_PATTERN.fullmatch(text)


def test_payload_is_frozen() -> None:
    parsed = parse_payload("canwfz_en")
    assert parsed is not None
    with pytest.raises(AttributeError):
        parsed.lang = "ru"  # type: ignore[misc]


@pytest.mark.parametrize(
    "payload",
    [
        "",  # empty
        "a" * 65,  # longer than Telegram allows
        "quiz-" + "a" * 60,  # 65 characters
        "canwfz ",  # white space
        " canwfz",
        "can wfz",
        "canwfz!",  # characters outside [A-Za-z0-9_-]
        "quiz/ctbt",
        "ctbt.",
        "семей",
        "CANWFZ",  # topic ids are lower case
        "Quiz",
        "-canwfz",  # must start with a letter or digit
        "quiz-",  # quiz with an empty topic
        "quiz--ctbt",
        "quiz_",  # empty language
        "canwfz_",
        "_ru",  # language without a payload
        "canwfz_de",  # unknown language
        "canwfz_RU",
        "canwfz_ru_en",  # two suffixes
        "canwfz_ru-x",
        "subscribe_ru_ru",
        "quiz-quiz",  # reserved words are not topic ids
        "quiz-subscribe",
        "quiz-quiz-ctbt",
        "start=canwfz",
    ],
)
def test_invalid_payloads(payload: str) -> None:
    assert parse_payload(payload) is None


def test_longest_payload_is_accepted() -> None:
    topic = "a" * 56
    payload = with_language(quiz_payload(topic), "kk")
    assert len(payload) == 64
    assert parse_payload(payload) == Payload(PayloadKind.QUIZ, topic, "kk")
    assert parse_payload(payload + "x") is None


@pytest.mark.parametrize(
    "topic", ["", "Canwfz", "can_wfz", "can wfz", "-x", "quiz", "quiz-ctbt", "subscribe"]
)
def test_builders_reject_bad_topic_ids(topic: str) -> None:
    with pytest.raises(ValueError, match="topic id"):
        topic_payload(topic)
    with pytest.raises(ValueError, match="topic id"):
        quiz_payload(topic)


def test_builders_reject_long_payloads() -> None:
    assert topic_payload("a" * 64) == "a" * 64
    with pytest.raises(ValueError, match="64"):
        topic_payload("a" * 65)
    with pytest.raises(ValueError, match="64"):
        quiz_payload("a" * 60)
    with pytest.raises(ValueError, match="64"):
        with_language("a" * 62, "ru")


@pytest.mark.parametrize(
    ("payload", "lang"),
    [("canwfz", "de"), ("canwfz", ""), ("canwfz", "RU"), ("canwfz_ru", "en"), ("", "ru"),
     ("bad payload", "ru"), ("quiz-quiz", "ru")],
)  # fmt: skip
def test_with_language_rejects(payload: str, lang: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - both arguments are checked
        with_language(payload, lang)


def test_payload_constructor_checks_its_fields() -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Payload(PayloadKind.TOPIC, None)
    with pytest.raises(ValueError):  # noqa: PT011
        Payload(PayloadKind.SUBSCRIBE, "ctbt")
    with pytest.raises(ValueError):  # noqa: PT011
        Payload(PayloadKind.TOPIC, "Bad_Id")
    with pytest.raises(ValueError):  # noqa: PT011
        Payload(PayloadKind.QUIZ, None, "de")  # type: ignore[arg-type]


@given(st.text(alphabet="abcquizsubrtenk-_0123456789XYZ", max_size=70))
def test_one_spelling_per_payload(text: str) -> None:
    parsed = parse_payload(text)
    if parsed is not None:
        assert parsed.encode() == text
        assert len(text) <= 64


@given(
    st.from_regex(r"[a-z0-9][a-z0-9-]{0,40}", fullmatch=True).filter(
        lambda t: t not in {"quiz", "subscribe"} and not t.startswith("quiz-")
    ),
    st.sampled_from([None, *LANGS]),
)
def test_every_topic_id_round_trips(topic: str, lang: Lang | None) -> None:
    topic_link = with_language(topic_payload(topic), lang)
    assert parse_payload(topic_link) == Payload(PayloadKind.TOPIC, topic, lang)
    quiz_link = with_language(quiz_payload(topic), lang)
    assert parse_payload(quiz_link) == Payload(PayloadKind.QUIZ, topic, lang)


# --- URLs ----------------------------------------------------------------------------------


def test_deep_link_private_and_group() -> None:
    assert deep_link(BOT, "canwfz") == "https://t.me/nwfz_kz_bot?start=canwfz"
    assert deep_link(BOT, "quiz_kk", group=True) == "https://t.me/nwfz_kz_bot?startgroup=quiz_kk"
    assert deep_link("@" + BOT, "subscribe") == "https://t.me/nwfz_kz_bot?start=subscribe"


@pytest.mark.parametrize(
    ("username", "payload"),
    [(BOT, ""), (BOT, "a" * 65), (BOT, "a b"), (BOT, "a&b=c"), ("", "quiz"), ("bot", "quiz"),
     ("nwfz bot", "quiz"), ("nwfz/bot", "quiz"), ("1nwfz_bot", "quiz"), ("b" * 33, "quiz")],
)  # fmt: skip
def test_deep_link_rejects(username: str, payload: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        deep_link(username, payload)


# --- QR codes ------------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_qr_symbol_is_plain_qr_level_m() -> None:
    code = segno.make(URL, error="m", boost_error=False, micro=False)
    assert not code.is_micro
    assert code.designator == f"{code.version}-M"
    # level M, not boosted: the same URL at level L or Q would not give the same symbol
    assert code.error == "M"


def test_qr_png() -> None:
    data = qr_png(URL)
    assert data.startswith(PNG_SIGNATURE)
    version = segno.make(URL, error="m", boost_error=False, micro=False).version
    assert isinstance(version, int)
    side = (_modules(version) + 2 * 4) * 10  # border of 4 modules, 10 px per module
    assert _png_size(data) == (side, side)
    assert _png_size(qr_png(URL, scale=3)) == (side // 10 * 3, side // 10 * 3)


def test_qr_svg() -> None:
    data = qr_svg(URL, scale=5)
    root = ET.fromstring(data)
    assert root.tag == f"{SVG_NS}svg"
    version = segno.make(URL, error="m", boost_error=False, micro=False).version
    assert isinstance(version, int)
    side = (_modules(version) + 2 * 4) * 5
    assert root.get("width") == str(side)
    assert root.get("height") == str(side)
    # an opaque light background: the code must scan on a dark slide
    assert b'fill="#fff"' in data


@pytest.mark.parametrize("scale", [0, -1])
def test_qr_rejects_bad_scale(scale: int) -> None:
    with pytest.raises(ValueError, match="scale"):
        qr_png(URL, scale=scale)
    with pytest.raises(ValueError, match="scale"):
        qr_svg(URL, scale=scale)


def test_qr_rejects_empty_url() -> None:
    with pytest.raises(ValueError, match="nothing"):
        qr_png("")


@pytest.mark.parametrize(
    "url",
    [URL, deep_link(BOT, "subscribe"), deep_link(BOT, with_language("canwfz", "ru"), group=True),
     "https://t.me/ab"],  # short enough that segno would pick a Micro QR if allowed
)  # fmt: skip
def test_qr_png_decodes_to_the_url(url: str) -> None:
    # decoders are not project dependencies: pip install zxing-cpp pillow to run this
    zxingcpp = pytest.importorskip("zxingcpp")
    image_module = pytest.importorskip("PIL.Image")
    image = image_module.open(io.BytesIO(qr_png(url, scale=4)))
    found = zxingcpp.read_barcodes(image)
    assert [barcode.text for barcode in found] == [url]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].ec_level == "M"


# ---- the qr command (called in-process: main() would reconfigure pytest's logging) -----------


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["topic", "nope"], "unknown topic 'nope'"),
        (["topic"], "unknown topic None"),
        (["quiz", "nope"], "unknown topic 'nope'"),
    ],
)
def test_qr_command_refuses_an_unknown_topic(
    args: list[str], shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert qr_command([*args, "--bot", "nwfz_bot"]) == 2
    assert shown in capsys.readouterr().err


@pytest.mark.parametrize("args", [["quiz"], ["subscribe", "canwfz"], ["topic", "canwfz"]])
def test_qr_command_prints_the_link_and_writes_the_code(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "link.svg"
    assert qr_command([*args, "--bot", "nwfz_bot", "--out", str(out)]) == 0
    link = capsys.readouterr().out.splitlines()[0]
    assert link.startswith("https://t.me/nwfz_bot?start=")
    assert b"<svg" in out.read_bytes()
