"""The timeline picture: key events on one horizontal 1945-2027 axis, as PNG bytes.

A pure function of its input: no network, no files, no global matplotlib state. It builds a
``matplotlib.figure.Figure`` with its own Agg canvas (pyplot keeps global state and is not
thread-safe), so the bot may render in a worker thread. The output is byte-for-byte
deterministic for the same input (no timestamp or version in the PNG), so callers may cache it
by a hash of the input.

Layout. The axis runs across a 1600x900 picture; every event gets a marker on it and a label:
the date, then the event text wrapped to at most three lines. Labels alternate above and below
the axis in date order. On each side they keep date order from left to right and stand at least
half a label apart (``_spread``: the closest fit to the markers, by isotonic regression), in two
staggered rows: a label goes to the row nearer the axis when it does not touch the label before
it there, else to the outer row. A leader line runs from the marker, slanting through an empty
band along the axis, to the point under the label's centre, then straight to the label. That
gives, by construction: no two labels overlap (same row: a full label apart); no leader line
crosses a label (every other label on its side is at least half its own width plus a margin
from the line's straight part); no two leader lines cross (their slanting parts keep date order
at both ends). Too many events for one size of type are set again in smaller type.

The only font is DejaVu Sans, which ships with matplotlib and covers Cyrillic including the
Kazakh letters.

A picture question ("which event is marked?") draws one event as the ``mystery``: a "?" in
place of its date and text, and a marker of its own colour, so only its place on the axis tells
which it is.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.text import Text as MplText

from content.models import CalendarEvent, Lang

matplotlib.use("Agg")  # no display; the figures below get an Agg canvas of their own anyway

WIDTH_PX = 1600
HEIGHT_PX = 900
DPI = 100

FIRST_YEAR = 1945
LAST_YEAR = 2027
MAJOR_TICK_YEARS = 5

WRAP_WIDTH = 28
MAX_LINES = 3
PLACEHOLDER = " …"

FONT = "DejaVu Sans"
ACCENT = "#0a6c94"
MYSTERY_COLOR = "#d9480f"  # orange: apart from the blue of every other marker
MYSTERY_MARK = "?"
INK = "#1f2328"
MUTED = "#59636e"
LINE = "#9aa4ae"
BACKGROUND = "white"

TITLE_SIZE = 24
DATE_SIZE = 13
BODY_SIZE = 12.5
TICK_SIZE = 12
# Type sizes to try, largest first, until the labels fit without touching.
SCALES = (1.0, 0.9, 0.8, 0.7)

# Everything is in pixels: the single axes covers the whole figure with pixel limits.
MARGIN_X = 24  # labels keep this far from the left and right edges
AXIS_LEFT = 60  # where 1945 and 2027 fall on the axis
AXIS_RIGHT = WIDTH_PX - 60
TITLE_TOP = HEIGHT_PX - 28
TITLE_BAND = 90  # the title's band at the top; labels stay below it
BOTTOM_MARGIN = 20
ROOM = HEIGHT_PX - TITLE_BAND - BOTTOM_MARGIN  # for the axis and the labels
TICK_BAND = 32  # below the axis line: tick marks and year numbers
FAN_MIN = 60  # the band along the axis where leader lines slant: at least this high
FAN_MAX = 130  # and at most this high (more room goes to the margins)
ROW_GAP = 16  # vertical space between the two rows on one side
LABEL_PAD = 22  # horizontal space between labels, and between a label and a leader line
LINE_GAP = 5  # between a leader line's end and its label
DATE_BODY_GAP = 3


@dataclass(frozen=True)
class _Label:
    x: float  # the event's position on the axis
    key: bool
    date: str
    body: str
    width: float
    body_height: float
    date_height: float
    scale: float
    mystery: bool = False

    @property
    def height(self) -> float:
        return self.date_height + DATE_BODY_GAP + self.body_height


@dataclass(frozen=True)
class _Placement:
    above: bool
    row: int  # 0: the row nearer the axis, 1: the outer row
    center: float


def render_timeline(
    events: Sequence[CalendarEvent], lang: Lang, title: str, mystery: str | None = None
) -> bytes:
    """Render every event in ``events`` on a 1945-2027 axis; return a 1600x900 PNG. The event
    whose id is ``mystery`` shows a "?" instead of its date and text."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)  # Agg, whatever the default backend
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_xlim(0, WIDTH_PX)
    axes.set_ylim(0, HEIGHT_PX)
    axes.set_axis_off()

    heading = axes.text(
        AXIS_LEFT - 10,
        TITLE_TOP,
        title,
        fontsize=TITLE_SIZE,
        fontweight="bold",
        family=FONT,
        color=INK,
        ha="left",
        va="top",
    )
    title_width = heading.get_window_extent().width
    if title_width > WIDTH_PX - 2 * (AXIS_LEFT - 10):  # a long title: smaller type, one line
        heading.set_fontsize(TITLE_SIZE * (WIDTH_PX - 2 * (AXIS_LEFT - 10)) / title_width)

    ordered = sorted(events, key=lambda e: (e.year, e.month, e.day, e.id))
    for scale in SCALES:
        labels = [_measure(axes, event, lang, scale, event.id == mystery) for event in ordered]
        placements = _place(labels, squeeze=scale == SCALES[-1])
        if placements is not None:
            break
    assert placements is not None  # the last scale squeezes rather than give up

    row_height = max((label.height for label in labels), default=0.0) + ROW_GAP
    extent = {
        above: max((p.row + 1 for p in placements if p.above == above), default=0) * row_height
        - ROW_GAP
        for above in (True, False)
    }
    extent = {above: max(0.0, value) for above, value in extent.items()}
    fan = min(FAN_MAX, max(FAN_MIN, (ROOM - TICK_BAND - extent[True] - extent[False]) / 2))
    near = {True: fan, False: fan + TICK_BAND}  # from the axis to the nearer row, each side
    height = near[True] + extent[True] + near[False] + extent[False]
    axis_y = BOTTOM_MARGIN + near[False] + extent[False] + (ROOM - height) / 2

    _draw_axis(axes, axis_y)
    _draw_labels(axes, axis_y, near, row_height, labels, placements)

    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="png", dpi=DPI, facecolor=BACKGROUND, metadata={"Software": None}
    )
    return buffer.getvalue()


def _year_x(year: float) -> float:
    return AXIS_LEFT + (year - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR) * (AXIS_RIGHT - AXIS_LEFT)


def _event_x(event: CalendarEvent) -> float:
    """Months and days as even fractions of a year: exact enough at 18 pixels a year. A date
    off the axis (the content allows 1900-2100) is drawn at the axis's nearer end."""
    year = event.year + (event.month - 1) / 12 + (event.day - 1) / (12 * 31)
    return _year_x(min(max(year, FIRST_YEAR), LAST_YEAR))


def _wrap(text: str) -> str:
    lines = textwrap.wrap(
        text,
        width=WRAP_WIDTH,
        max_lines=MAX_LINES,
        placeholder=PLACEHOLDER,
        break_on_hyphens=False,
    )
    return "\n".join(lines)


# --- layout ------------------------------------------------------------------------------------


def _place(labels: Sequence[_Label], squeeze: bool) -> list[_Placement] | None:
    """Sides, rows and centres for ``labels`` (in date order); None if they do not fit."""
    placements: dict[int, _Placement] = {}
    for above in (True, False):
        indices = [i for i in range(len(labels)) if (i % 2 == 0) == above]
        side = [labels[i] for i in indices]
        centers = _spread(side, squeeze)
        if centers is None:
            return None
        right_edge = -float("inf")  # of the row nearer the axis
        for index, label, center in zip(indices, side, centers, strict=True):
            row = 0 if center - label.width / 2 >= right_edge + LABEL_PAD else 1
            if row == 0:
                right_edge = center + label.width / 2
            placements[index] = _Placement(above, row, center)
    return [placements[i] for i in range(len(labels))]


def _spread(labels: Sequence[_Label], squeeze: bool) -> list[float] | None:
    """Label centres as near their markers as may be, in order, each at least
    ``max(width, next width) / 2 + LABEL_PAD`` from the next, all inside the picture.

    With ``c[i] = u[i] + offset[i]`` (``offset`` the running sum of those gaps) the gaps hold
    exactly when ``u`` does not decrease: the closest ``u`` is the isotonic regression of
    ``x - offset``, clipped to the bounds. None if the labels need more than the picture's
    width, unless ``squeeze``: then the gaps shrink to fit (labels may touch).
    """
    if not labels:
        return []
    gaps = [max(a.width, b.width) / 2 + LABEL_PAD for a, b in pairwise(labels)]
    room = WIDTH_PX - 2 * MARGIN_X - (labels[0].width + labels[-1].width) / 2
    if sum(gaps) > room:
        if not squeeze:
            return None
        gaps = [gap * room / sum(gaps) for gap in gaps]
    offsets = [0.0, *accumulate(gaps)]
    lows = [MARGIN_X + lab.width / 2 - off for lab, off in zip(labels, offsets, strict=True)]
    highs = [
        WIDTH_PX - MARGIN_X - lab.width / 2 - off for lab, off in zip(labels, offsets, strict=True)
    ]
    lower = list(accumulate(lows, max))
    upper = list(accumulate(reversed(highs), min))[::-1]
    fitted = _isotonic([lab.x - off for lab, off in zip(labels, offsets, strict=True)])
    return [
        min(max(u, low), high) + off
        for u, low, high, off in zip(fitted, lower, upper, offsets, strict=True)
    ]


def _isotonic(values: Sequence[float]) -> list[float]:
    """The non-decreasing sequence nearest ``values`` (least squares; pool adjacent violators)."""
    blocks: list[tuple[float, int]] = []  # (sum, count)
    for value in values:
        total, count = value, 1
        while blocks and blocks[-1][0] / blocks[-1][1] > total / count:
            previous_total, previous_count = blocks.pop()
            total, count = total + previous_total, count + previous_count
        blocks.append((total, count))
    return [total / count for total, count in blocks for _ in range(count)]


# --- drawing -----------------------------------------------------------------------------------


def _measure(axes: Axes, event: CalendarEvent, lang: Lang, scale: float, mystery: bool) -> _Label:
    date = MYSTERY_MARK if mystery else f"{event.day:02d}.{event.month:02d}.{event.year}"
    body = "" if mystery else _wrap(event.text.get(lang))
    date_width, date_height = _extent(_date_text(axes, 0, 0, date, "bottom", scale))
    body_width, body_height = _extent(_body_text(axes, 0, 0, body, "bottom", scale))
    return _Label(
        x=_event_x(event),
        key=event.key,
        mystery=mystery,
        date=date,
        body=body,
        width=max(date_width, body_width),
        body_height=body_height,
        date_height=date_height,
        scale=scale,
    )


def _extent(text: MplText) -> tuple[float, float]:
    box = text.get_window_extent()  # with the figure's Agg renderer
    text.remove()
    return float(box.width), float(box.height)


def _date_text(axes: Axes, x: float, y: float, date: str, va: str, scale: float) -> MplText:
    return axes.text(
        x,
        y,
        date,
        fontsize=DATE_SIZE * scale,
        fontweight="bold",
        family=FONT,
        color=ACCENT,
        ha="center",
        va=va,
        zorder=4,
    )


def _body_text(axes: Axes, x: float, y: float, body: str, va: str, scale: float) -> MplText:
    return axes.text(
        x,
        y,
        body,
        fontsize=BODY_SIZE * scale,
        family=FONT,
        color=INK,
        ha="center",
        va=va,
        multialignment="center",
        linespacing=1.25,
        zorder=4,
    )


def _draw_axis(axes: Axes, axis_y: float) -> None:
    axes.plot(
        [AXIS_LEFT, AXIS_RIGHT],
        [axis_y, axis_y],
        color=INK,
        linewidth=2.0,
        solid_capstyle="butt",
        zorder=2,
    )
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    major = [_year_x(y) for y in years if y % MAJOR_TICK_YEARS == 0]
    minor = [_year_x(y) for y in years if y % MAJOR_TICK_YEARS != 0]
    ticks = [
        ([[(x, axis_y), (x, axis_y - 9)] for x in major], INK, 1.4),
        ([[(x, axis_y), (x, axis_y - 4)] for x in minor], MUTED, 0.8),
    ]
    for segments, color, width in ticks:
        axes.add_collection(LineCollection(segments, colors=color, linewidths=width, zorder=2))
    for year in years:
        if year % MAJOR_TICK_YEARS == 0:
            # on white, over the leader lines that pass down through the year numbers
            axes.text(
                _year_x(year),
                axis_y - 12,
                str(year),
                fontsize=TICK_SIZE,
                family=FONT,
                color=MUTED,
                ha="center",
                va="top",
                zorder=3,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": BACKGROUND, "edgecolor": "none"},
            )


def _draw_labels(
    axes: Axes,
    axis_y: float,
    near: dict[bool, float],
    row_height: float,
    labels: Sequence[_Label],
    placements: Sequence[_Placement],
) -> None:
    leaders = []
    for label, placement in zip(labels, placements, strict=True):
        sign = 1 if placement.above else -1
        fan_end = axis_y + sign * (near[placement.above] - LINE_GAP)
        edge = axis_y + sign * (near[placement.above] + placement.row * row_height)
        center = placement.center
        leaders.append([(label.x, axis_y), (center, fan_end), (center, edge - sign * LINE_GAP)])
        if placement.above:
            _body_text(axes, center, edge, label.body, "bottom", label.scale)
            date_y = edge + label.body_height + DATE_BODY_GAP
            _date_text(axes, center, date_y, label.date, "bottom", label.scale)
        else:
            _date_text(axes, center, edge, label.date, "top", label.scale)
            body_y = edge - label.date_height - DATE_BODY_GAP
            _body_text(axes, center, body_y, label.body, "top", label.scale)
    axes.add_collection(LineCollection(leaders, colors=LINE, linewidths=1.0, zorder=1))
    # (which labels, marker size, fill, edge): key dates filled, others hollow, the mystery apart
    kinds: list[tuple[Callable[[_Label], bool], float, str, str]] = [
        (lambda label: label.key and not label.mystery, 10, ACCENT, ACCENT),
        (lambda label: not label.key and not label.mystery, 8, BACKGROUND, ACCENT),
        (lambda label: label.mystery, 16, MYSTERY_COLOR, MYSTERY_COLOR),
    ]
    for chosen, size, fill, rim in kinds:
        xs = [label.x for label in labels if chosen(label)]
        if xs:
            axes.plot(
                xs,
                [axis_y] * len(xs),
                marker="o",
                markersize=size,
                linestyle="none",
                markerfacecolor=fill,
                markeredgecolor=rim,
                markeredgewidth=1.8,
                zorder=5,
            )
