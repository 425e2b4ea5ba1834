"""Telegram's HTML parse mode, as the Bot API server applies it.

Returns the parsed plain text (what Telegram counts against its length limits) or raises
``HtmlParseError`` with the error text Telegram sends (../shared/TELEGRAM-LIMITS.md).
"""

from __future__ import annotations

import re

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote", "tg-time",
}  # fmt: skip
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")
_NAME = re.compile(r"[a-zA-Z0-9-]*")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z-]*)\s*(=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
# A date_time entity's format (Bot API 9.5): relative alone, or weekday, date, time, each optional.
DATE_TIME_FORMAT = re.compile(r"r|w?[dD]?[tT]?")


class HtmlParseError(ValueError):
    pass


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode(fragment: str) -> str:
    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        if body.startswith("#x"):
            return chr(int(body[2:], 16))
        if body.startswith("#"):
            return chr(int(body[1:]))
        return NAMED_ENTITIES.get(body.lower(), match.group(0))

    return _ENTITY.sub(replace, fragment)


def parse_html(text: str, *, date_time: bool = True) -> str:
    """Parse Telegram HTML; return the plain text it displays. Without ``date_time`` the
    parser is a server older than Bot API 9.5, which does not know ``tg-time``."""
    plain: list[str] = []
    stack: list[str] = []
    index = 0
    while index < len(text):
        start = text.find("<", index)
        if start == -1:
            plain.append(_decode(text[index:]))
            break
        plain.append(_decode(text[index:start]))
        offset = _byte_offset(text, start)
        if text.startswith("</", start):
            end = text.find(">", start)
            if end == -1:
                raise HtmlParseError(f"Unclosed end tag at byte offset {offset}")
            name = text[start + 2 : end].strip().lower()
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {offset}")
            if stack[-1] != name:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            index = end + 1
            continue
        name_match = _NAME.match(text, start + 1)
        assert name_match is not None
        name = name_match.group(0).lower()
        if not name or name not in ALLOWED_TAGS or (name == "tg-time" and not date_time):
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        end = text.find(">", name_match.end())
        if end == -1:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        attributes = _attributes(text[name_match.end() : end], name, offset)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
            )
        if name == "tg-time":
            _check_date_time(attributes, offset)
        self_closing = text[end - 1] == "/"
        if not self_closing:
            stack.append(name)
        index = end + 1
    if stack:
        raise HtmlParseError(f"Can't find end tag corresponding to start tag {stack[-1]}")
    return "".join(plain)


def _attributes(raw: str, tag: str, offset: int) -> dict[str, str]:
    attributes: dict[str, str] = {}
    position = 0
    raw = raw.rstrip("/")
    while position < len(raw) and raw[position:].strip():
        match = _ATTRIBUTE.match(raw, position)
        if match is None or match.end() == position:
            raise HtmlParseError(f"Unexpected end of name token at byte offset {offset}")
        name, assignment, value = match.group(1), match.group(2), match.group(3)
        if not name:
            raise HtmlParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {offset}'
            )
        if assignment is None:
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {offset}"
            )
        attributes[name.lower()] = _decode(value.strip("\"'"))
        position = match.end()
    return attributes


def _check_date_time(attributes: dict[str, str], offset: int) -> None:
    """A date_time entity needs its Unix time; its format, if given, is one Telegram knows.
    (The wording of these two errors is the emulator's own: Telegram's is not documented.)"""
    unix = attributes.get("unix", "")
    if not unix.isdigit():
        raise HtmlParseError(f'Invalid unix time in the tag "tg-time" at byte offset {offset}')
    if DATE_TIME_FORMAT.fullmatch(attributes.get("format", "")) is None:
        raise HtmlParseError(
            f'Invalid date time format in the tag "tg-time" at byte offset {offset}'
        )
