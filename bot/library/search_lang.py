"""What the search knows about ru, en and kk words (pure, no I/O).

Russian and English words go to Snowball stemmers ("полигона" and "полигон" meet). Kazakh has
no Snowball stemmer; it is agglutinative and regular, so stripping its inflectional endings
(plural, possessive, case, the commonest verb endings) from the right brings «банкі», «банкінің»
and «банкке» back to «банк». Question words and particles are dropped from queries: "when",
«когда» and «қашан» say what kind of answer is wanted (a date, a number), not what it is about.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

from content.models import Lang


def word_set(text: str) -> frozenset[str]:
    """The words of a space-separated list: long lists of short words read best this way."""
    return frozenset(text.split())


_STEMMERS = {"ru": snowballstemmer.stemmer("russian"), "en": snowballstemmer.stemmer("english")}

# Kazakh inflectional endings in the order they follow a stem: plural, possessive, then a case
# (or a verb ending), then the attributive «-ғы» («жылғы», «сондағы»). They are stripped from
# the right, one of each group at most, longest first: «банкінің» = банк + і + нің. Derivational
# suffixes (-лық, -шы) stay: they make a new word («ядролық» is not «ядро»).
_KK_GROUPS = tuple(
    sorted(word_set(endings), key=len, reverse=True)
    for endings in (
        "ғы гі қы кі",
        # genitive, dative, accusative, locative, ablative, instrumental; verbs: past,
        # participle, converb, verbal noun
        "ның нің дың дің тың тің ға ге қа ке на не ны ні ды ді ты ті да де та те нда нде "
        "дан ден тан тен нан нен мен бен пен менен ған ген қан кен ып іп уі",
        "ымыз іміз ыңыз іңіз мыз міз ңыз ңіз ым ім ың ің сы сі ы і",
        "лар лер дар дер тар тер",
    )
)
_KK_ENDINGS = [ending for group in _KK_GROUPS for ending in group]
_KK_ENDINGS_SET = frozenset(_KK_ENDINGS)
KK_MIN_STEM = 4  # shorter remains are roots already: «жыл», «бас», «ұя»
KK_PREFIX = 8  # what is left of a long compound form is cut here, as a last equaliser

# Question words, particles and prepositions: they do not say what a sentence is about.
STOP_WORDS: dict[Lang, frozenset[str]] = {
    "en": word_set(
        "a an the of in on at to for by from and or with about into as is are was were be been "
        "being do does did has have had it its this that these those there their what which "
        "who whom whose when where why how many much did can could would will shall should "
        "i me my we our you your please tell"
    ),
    "ru": word_set(
        "а и или но в во на о об обо с со к ко по из за у от до для при без над под про через "
        "ли же бы это этот эта эти то тот та те был была было были быть есть кто что какой "
        "какая какое какие каким какого какой каком какую кому кем чем чём когда где куда "
        "откуда почему зачем как сколько который которая которое которые мне скажи подскажи"
    ),
    "kk": word_set(
        "және мен бен пен да де та те ма ме ба бе па пе ол бұл осы сол қашан қайда қай кім "
        "кімге кімді кімнің не неге нені неше нешінші қанша қандай қалай"
    ),
}

# Words that ask for a date or a number; sentences holding one are preferred for them.
_CUES: tuple[dict[Lang, frozenset[str]], ...] = (
    {
        "en": frozenset({"when", "date", "year", "day"}),
        "ru": frozenset({"когда", "дата", "дату", "году", "год", "числа"}),
        "kk": frozenset({"қашан", "жылы", "күні", "датасы"}),
    },
    {
        "en": frozenset({"many", "much", "number"}),
        "ru": frozenset({"сколько", "сколко", "число", "количество", "счету"}),
        "kk": frozenset({"қанша", "неше", "нешінші", "саны"}),
    },
)
# What each kind of answer looks like. A date: a day or a year next to a month name
# ("29 August 2017", «29 августа», «2017 жылғы қыркүйекте») is one; a bare year half one.
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    "қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан"
)
_DAY = re.compile(
    rf"\b\d{{1,2}}\s+(?:{_MONTHS})|(?:{_MONTHS})\w*\s+\d{{4}}|\d{{4}} жылғы (?:{_MONTHS})"
)
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def wanted_answer(words: list[str], lang: Lang) -> int | None:
    """Which kind of answer (see ``answer_kinds``) the query's words ask for, if any."""
    return next(
        (kind for kind, cues in enumerate(_CUES) if any(word in cues[lang] for word in words)),
        None,
    )


def answer_kinds(text: str) -> tuple[float, ...]:
    """How surely ``text`` holds each kind of answer (0 to 1): a date, a number."""
    lowered = text.casefold()
    date = 1.0 if _DAY.search(lowered) else 0.5 if _YEAR.search(lowered) else 0.0
    return date, 1.0 if any(char.isdigit() for char in text) else 0.0


def is_kazakh_ending(part: str) -> bool:
    """«ЯҚТШ-ға», «АЭХА-ның»: after a hyphen, an ending only inflects the abbreviation."""
    return part in _KK_ENDINGS_SET


@lru_cache(maxsize=65536)
def stem(word: str, lang: Lang) -> str:
    """The index term of a normalised (casefolded, ё → е) word."""
    if lang == "kk":
        return _kazakh_stem(word)
    # Cyrillic words in an English query (and Latin ones in Russian) get their own stemmer.
    stemmer = _STEMMERS["ru" if not word.isascii() else "en"]
    result: str = stemmer.stemWord(word)
    return result


def _kazakh_stem(word: str) -> str:
    if word.isascii():
        result: str = _STEMMERS["en"].stemWord(word)
        return result
    for group in _KK_GROUPS:
        ending = next(
            (e for e in group if word.endswith(e) and len(word) - len(e) >= KK_MIN_STEM), None
        )
        if ending is not None:
            word = word[: -len(ending)]
    return word[:KK_PREFIX]
