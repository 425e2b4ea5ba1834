"""Numbers and dates in Russian, English and Kazakh text, reduced to one normal form.

``extract(text)`` finds every figure a reader would check against a source, whatever the
language wrote it as: ``1 216``, ``1216`` and ``1,216`` are ``1216``; "14 февраля 1994",
"14 February 1994", "1994 жылғы 14 ақпан" and Babel's "1994 ж. 14 ақпан" are ``1994-02-14``;
"в декабре 2009 года", "December 2009" and "2009 жылғы желтоқсанда" are ``2009-12``; a day
without a year is ``--08-29``; "45 %", "45 процентов" and "45 per cent" are ``45%``; ordinals
("48-й", "48th", "48-сессиясында") and decades ("1990-х", "1990s") are their number; "25
million" is ``25000000``; a document number such as 70/57 stays ``70/57``. Digits that are part
of a name (СНВ-1, RDS-6, COVID-19, P5) are not figures.

``covers(stated)`` widens what a source states to everything it implies: a source that gives
14 February 1994 also gives the year 1994, February 1994 and 14 February.

Pure: no I/O, no project imports, so it is cheap to test exhaustively.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

_RU_MONTHS = (
    "январ",
    "феврал",
    "март",
    "апрел",
    "ма[йяе]",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
)
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_KK_MONTHS = (
    "қаңтар",
    "ақпан",
    "наурыз",
    "сәуір",
    "мамыр",
    "маусым",
    "шілде",
    "тамыз",
    "қыркүйек",
    "қазан",
    "қараша",
    "желтоқсан",
)
_LETTER = r"[^\W\d_]"
# A month name with any case ending. English names must be capitalised ("may" is a verb).
_MONTH_ALTERNATIVES = [
    *(f"(?P<ru{index}>{stem}{_LETTER}*)" for index, stem in enumerate(_RU_MONTHS)),
    *(f"(?P<en{index}>(?-i:{name}))\\b" for index, name in enumerate(_EN_MONTHS)),
    *(f"(?P<kk{index}>{name}{_LETTER}*)" for index, name in enumerate(_KK_MONTHS)),
]
MONTH = "(?:" + "|".join(_MONTH_ALTERNATIVES) + ")"

# Thousands are grouped by a space (ru, kk), a no-break or thin space, or a comma (en); a comma
# followed by anything but exactly three digits is a Russian decimal comma ("2,9 кг").
_INTEGER = r"\d{1,3}(?:[ \u00a0\u202f,]\d{3})+(?!\d)|\d+"
_NUMBER = rf"(?:{_INTEGER})(?:[.,]\d+(?![.,]?\d))?"
_DAY = r"(?P<day>[0-3]?\d)"
_YEAR = r"(?P<year>\d{4})"
# "1994 жылғы 14 ақпан", "1994 ж. 14 ақпан", "2009 жылғы желтоқсанда", "2009 жылдың желтоқсанында"
_KK_YEAR_FIRST = re.compile(
    rf"{_YEAR}\s+(?:жыл{_LETTER}*|ж\.)\s+(?:{_DAY}\s*(?:[-–]\s*\d{{1,2}}\s+)?)?{MONTH}",
    re.IGNORECASE,
)
# "14 February 1994", "14 февраля 1994", "12–13 ноября 2018", "12 и 13 ноября", "29 тамыз"
_DAY_FIRST = re.compile(
    rf"{_DAY}(?:\s*(?:[-–]|\s(?:и|and|және)\s)\s*(?P<last>[0-3]?\d))?\s+{MONTH}"
    r"(?:\s+(?P<year>\d{4})(?!\d))?",
    re.IGNORECASE,
)
# "February 14, 1994", "December 2009", "в декабре 2009 года"
_MONTH_FIRST = re.compile(
    rf"{MONTH}\s+(?:(?P<day>[0-3]?\d),?\s+)?(?P<year>\d{{4}})(?!\d)", re.IGNORECASE
)
# "¶26–31" points into the source; it is a reference, not a figure the text states.
_PARAGRAPH_REFERENCE = re.compile(r"[¶§]\s*\d+(?:\s*[-–]\s*\d+)?")
# "XXI век", "XXI ғасыр": the 21st century, as "21st century" says it.
_ROMAN_CENTURY = re.compile(r"\b(?P<roman>[IVX]+)\s+(?:век|ғасыр|century)", re.IGNORECASE)
_ROMAN = {"I": 1, "V": 5, "X": 10}
# Numbers the sources write in words (seed002 ¶10 "полтора миллиона", ¶17 "столетнему
# юбилею", ¶38 "два десятилетия"), in each language.
_WORDS = (
    (re.compile(r"полтора миллиона|бір жарым миллион", re.IGNORECASE), "1500000"),
    (re.compile(r"столет\w*|centenary|\w*ғасырлық", re.IGNORECASE), "100"),
    (re.compile(r"два десятилетия|two decades|екі онжылдық", re.IGNORECASE), "20"),
)
# "1990s", "1990-х", "1990-жылдары": a decade, which any year in it gives.
_DECADE = re.compile(r"(?<!\d)(?P<decade>\d{3}0)(?:s\b|-х|-е\b|-ых|-жылдар\w*)", re.IGNORECASE)
# "11:05": a time of day, one figure.
_TIME = re.compile(r"(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d:])")
# "1. The Treaty of Tlatelolco": the number of an item in a list.
_LIST_MARKER = re.compile(r"(?m)^[ \t]*\d{1,2}\.(?= )")
_DOCUMENT = re.compile(r"(?<!\d)\d+/\d+(?![\d/])")
_PLAIN = re.compile(_NUMBER)
_PERCENT = re.compile(r"\s*(?:%|процент|per\s?cent|пайыз)", re.IGNORECASE)
_SCALE = re.compile(
    r"\s*(?P<word>млн|миллион\w*|million|млрд|миллиард\w*|billion|тыс\.|тысяч\w*|thousand|мың)",
    re.IGNORECASE,
)
_SCALES = {"млн": 10**6, "мил": 10**6, "mil": 10**6, "млр": 10**9, "bil": 10**9}
_SCALES |= {"тыс": 10**3, "tho": 10**3, "мың": 10**3}
# A word broken across a line end in the seed files: "Нурсул-\n\nтан".
_LINE_BREAK_HYPHEN = re.compile(rf"(?<={_LETTER})-\s*\n\s*(?={_LETTER})")
_SPACES = re.compile(r"[ \t\r\n\u00a0\u2009\u202f]+")


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure as written (``text``) and in its normal form (``value``)."""

    value: str
    text: str


def clean(text: str) -> str:
    """Joins words hyphenated across line ends and makes every run of white space one space."""
    return _SPACES.sub(" ", _LINE_BREAK_HYPHEN.sub("", text))


def _month(match: re.Match[str]) -> int:
    for name, value in match.groupdict().items():
        if value is not None and name[:2] in {"ru", "en", "kk"} and name[2:].isdigit():
            return int(name[2:]) + 1
    raise AssertionError("a month alternative always matches")


def _date(year: str | None, month: int, day: str | None) -> str | None:
    if day is not None and not 1 <= int(day) <= 31:
        return None
    if year is None:
        return None if day is None else f"--{month:02d}-{int(day):02d}"
    if day is None:
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{int(day):02d}"


def _number(written: str) -> str:
    """'1 216' → '1216', '2,9' → '2.9', '1,216' → '1216', '13 400' → '13400'."""
    compact = re.sub(r"[ \u00a0\u202f]", "", written)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", compact):
        compact = compact.replace(",", "")
    return _decimal(Decimal(compact.replace(",", ".")))


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _roman(numeral: str) -> int:
    values = [_ROMAN[letter] for letter in numeral.upper()]
    return sum(
        -value if index + 1 < len(values) and value < values[index + 1] else value
        for index, value in enumerate(values)
    )


def _is_part_of_name(text: str, start: int) -> bool:
    """Digits glued to a name: 'СНВ-1', 'RDS-6', 'P5', 'COVID-19' (but not '2016-2017')."""
    before = text[:start]
    if before and before[-1].isalpha():
        return True
    return len(before) >= 2 and before[-1] in "-–" and before[-2].isalpha()


def _read_date(match: re.Match[str]) -> tuple[int, tuple[str, ...]] | None:
    month = _month(match)
    days = [match["day"]]
    if "last" in match.re.groupindex and match["last"] is not None:
        days.append(match["last"])
    dates = [_date(match["year"], month, day) for day in days]
    if any(value is None for value in dates):
        return None
    return match.end(), tuple(value for value in dates if value)


def _read_constant(value: str | None, match: re.Match[str]) -> tuple[int, tuple[str, ...]]:
    """A match that is one figure (or, with None, a reference that is none)."""
    return match.end(), (() if value is None else (value,))


def _read_roman(match: re.Match[str]) -> tuple[int, tuple[str, ...]] | None:
    return (match.end(), (str(_roman(match["roman"])),)) if match["roman"].isupper() else None


def _read_number(match: re.Match[str]) -> tuple[int, tuple[str, ...]]:
    """A number, with the percent sign or the scale word ("million") that follows it."""
    value = _number(match.group())
    rest = match.string[match.end() :]
    if percent := _PERCENT.match(rest):
        return match.end() + percent.end(), (f"{value}%",)
    if scale := _SCALE.match(rest):
        factor = _SCALES[scale["word"][:3].casefold()]
        return match.end() + scale.end(), (_decimal(Decimal(value) * factor),)
    return match.end(), (value,)


Reader = Callable[[re.Match[str]], "tuple[int, tuple[str, ...]] | None"]
# Most specific first: a date's day must not be read as a plain number.
_PASSES: tuple[tuple[re.Pattern[str], Reader], ...] = (
    (_KK_YEAR_FIRST, _read_date),
    (_DAY_FIRST, _read_date),
    (_MONTH_FIRST, _read_date),
    (_PARAGRAPH_REFERENCE, partial(_read_constant, None)),
    (_DECADE, lambda match: (match.end(), (f"{match['decade']}s",))),
    (_TIME, lambda match: (match.end(), (match.group().zfill(5),))),
    (_ROMAN_CENTURY, _read_roman),
    *((pattern, partial(_read_constant, value)) for pattern, value in _WORDS),
    (_DOCUMENT, lambda match: (match.end(), (match.group(),))),
    (_PLAIN, _read_number),
)


def extract(text: str) -> list[Figure]:
    """Every figure in ``text``, in order of appearance."""
    text = clean(_LIST_MARKER.sub("•", text))
    taken = [False] * len(text)
    found: list[tuple[int, Figure]] = []
    for pattern, read in _PASSES:
        for match in pattern.finditer(text):
            start = match.start()
            if any(taken[start : match.end()]) or _is_part_of_name(text, start):
                continue
            result = read(match)
            if result is None:
                continue
            end, figures = result
            taken[start:end] = [True] * (end - start)
            found.extend((start, Figure(value, text[start:end])) for value in figures)
    return [figure for _, figure in sorted(found, key=lambda pair: pair[0])]


def values(text: str) -> list[str]:
    """The normal forms of the figures in ``text``."""
    return [figure.value for figure in extract(text)]


def covers(stated: Iterable[str]) -> set[str]:
    """Everything a source that states ``stated`` also gives: a date's year, month and day."""
    implied: set[str] = set()
    for value in stated:
        implied.add(value)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            implied |= {value[:4], value[:7], f"--{value[5:]}", f"{value[:3]}0s"}
        elif re.fullmatch(r"\d{4}-\d{2}", value):
            implied |= {value[:4], f"{value[:3]}0s"}
        elif re.fullmatch(r"\d{4}", value):
            implied.add(f"{value[:3]}0s")
        elif value.endswith("%"):
            implied.add(value[:-1])
    return implied
