"""Server-rendered bar charts: series of numbers turned into SVG geometry.

The pages draw their pictures without a JavaScript library and without inline styles (the
Content-Security-Policy allows only our stylesheet): :func:`bar_chart` computes every
coordinate here, in ``Decimal`` (never a float), and ``templates/includes/chart_bars.html``
writes the SVG with classes styled in ``static/css/app.css``.

A chart has categories along the bottom (months, aging buckets, days …) and one or more
series drawn as grouped bars, with a legend, a value axis with "nice" ticks (1, 2, 2.5, 5 × a
power of ten), and every figure formatted for the active language (``1.234,56`` in Dutch).
Each bar carries a ``<title>`` with the exact figure; the same figures are in a visually
hidden table for screen readers.

Usage (in a view)::

    chart = bar_chart(
        chart_id="aging-eur",
        title=_("Receivables aging (EUR)"),
        categories=[_("Not due"), "1–30", "31–60", "61–90", "> 90"],
        series=[Series(_("Open amount"), [Decimal("1200.00"), ...])],
        unit="EUR",
        category_heading=_("Bucket"),
    )

and in the template: ``{% include "includes/chart_bars.html" with chart=chart %}``.

Coordinates are handed to the template as strings (``"123.4"``), so that the template's
number localization never turns them into ``123,4``.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

ZERO = Decimal(0)
ONE = Decimal(1)
TENTH = Decimal("0.1")

#: The SVG's coordinate system (its ``viewBox``); the stylesheet scales it to the page width.
WIDTH = 640
HEIGHT = 260
PLOT_LEFT = 76
PLOT_RIGHT = WIDTH - 8
PLOT_TOP = 34
PLOT_BOTTOM = HEIGHT - 42
LEGEND_Y = 8
#: Share of a category's width left empty between groups of bars.
GROUP_GAP = Decimal("0.25")
#: How many series colours the stylesheet defines (``chart-series-1`` …); more series cycle.
SERIES_COLOURS = 6


@dataclass(frozen=True)
class Category:
    """One position along the bottom: ``label`` is drawn under the bars (short), ``title``
    names it in the bar titles and the table (long); ``sublabel`` is a second line (a year
    under January)."""

    label: str
    title: str = ""
    sublabel: str = ""

    @property
    def name(self) -> str:
        return self.title or self.label


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Decimal]


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    value: Decimal
    text: str
    title: str
    css_class: str
    negative: bool = False


@dataclass(frozen=True)
class Tick:
    y: str
    value: Decimal
    label: str
    is_zero: bool


@dataclass(frozen=True)
class AxisLabel:
    x: str
    label: str
    sublabel: str


@dataclass(frozen=True)
class LegendItem:
    x: str
    text_x: str
    label: str
    css_class: str


@dataclass(frozen=True)
class TableRow:
    title: str
    values: list[str]


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    unit: str
    category_heading: str
    empty_text: str
    categories: list[Category]
    series: list[Series]
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    axis_labels: list[AxisLabel] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    rows: list[TableRow] = field(default_factory=list)
    is_empty: bool = True
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: str = str(PLOT_LEFT)
    plot_right: str = str(PLOT_RIGHT)
    plot_top: str = str(PLOT_TOP)
    plot_bottom: str = str(PLOT_BOTTOM)
    legend_y: str = str(LEGEND_Y)
    legend_text_y: str = str(LEGEND_Y + 9)
    label_y: str = str(PLOT_BOTTOM + 16)
    sublabel_y: str = str(PLOT_BOTTOM + 30)


def _coordinate(value: Decimal) -> str:
    """A coordinate as SVG text: one decimal, never exponent notation."""
    return f"{value.quantize(TENTH):f}"


def format_number(value: Decimal, decimal_places: int = 2, unit: str = "") -> str:
    """``1,234.50 EUR`` in English, ``1.234,50 EUR`` in Dutch (the active language)."""
    text = number_format(value, decimal_pos=decimal_places, force_grouping=True)
    return f"{text} {unit}" if unit else text


def nice_step(span: Decimal, intervals: int = 4) -> Decimal:
    """The smallest of 1, 2, 2.5, 5, 10 × a power of ten that covers ``span`` in
    ``intervals`` steps (span 1,600 in 4 → 500)."""
    if span <= 0:
        return ONE
    raw = span / intervals
    magnitude = ONE.scaleb(raw.adjusted())
    for multiple in (ONE, Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        step = multiple * magnitude
        if raw <= step:
            return step
    return Decimal(10) * magnitude  # pragma: no cover - 10 × magnitude always covers raw


def nice_scale(low: Decimal, high: Decimal, intervals: int = 4) -> tuple[Decimal, Decimal, Decimal]:
    """(bottom, top, step) of a value axis that includes zero, ``low`` and ``high``."""
    low, high = min(low, ZERO), max(high, ZERO)
    if low == high:
        high = low + ONE
    step = nice_step(high - low, intervals)
    bottom = (low / step).to_integral_value(ROUND_FLOOR) * step
    top = (high / step).to_integral_value(ROUND_CEILING) * step
    return bottom, top, step


def _places(step: Decimal) -> int:
    """Decimals a tick label needs: 500 → 0, 2.5 → 1, 0.25 → 2."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _category(value: Category | str | Any) -> Category:
    if isinstance(value, Category):
        return value
    return Category(label=str(value))


def bar_chart(
    *,
    chart_id: str,
    title: Any,
    categories: Sequence[Category | str | Any],
    series: Sequence[Series],
    unit: str = "",
    decimal_places: int = 2,
    description: Any = "",
    category_heading: Any = "",
    empty_text: Any = "",
) -> BarChart:
    """Grouped bars: one group per category, one bar per series in each group (see the
    module). ``unit`` follows every figure (a currency code, "h"); values are Decimals."""
    cats = [_category(c) for c in categories]
    all_series = [Series(label=str(s.label), values=list(s.values)) for s in series]
    for s in all_series:
        if len(s.values) != len(cats):
            raise ValueError(
                f"series {s.label!r} has {len(s.values)} values for {len(cats)} categories"
            )
    values = [v for s in all_series for v in s.values]
    bottom, top, step = nice_scale(min(values, default=ZERO), max(values, default=ZERO))
    plot_height = Decimal(PLOT_BOTTOM - PLOT_TOP)

    def y_of(value: Decimal) -> Decimal:
        return PLOT_TOP + (top - value) / (top - bottom) * plot_height

    zero_y = y_of(ZERO)
    ticks = []
    tick = bottom
    places = _places(step)
    while tick <= top:
        ticks.append(
            Tick(
                y=_coordinate(y_of(tick)),
                value=tick,
                label=format_number(tick, places),
                is_zero=tick == 0,
            )
        )
        tick += step

    group_width = Decimal(PLOT_RIGHT - PLOT_LEFT) / max(len(cats), 1)
    inner = group_width * (ONE - GROUP_GAP)
    bar_width = inner / max(len(all_series), 1)
    bars: list[Bar] = []
    axis_labels: list[AxisLabel] = []
    for i, category in enumerate(cats):
        group_x = PLOT_LEFT + i * group_width
        axis_labels.append(
            AxisLabel(
                x=_coordinate(group_x + group_width / 2),
                label=category.label,
                sublabel=category.sublabel,
            )
        )
        for j, s in enumerate(all_series):
            value = s.values[i]
            if value == 0:
                continue
            edge = y_of(value)
            height = abs(zero_y - edge)
            if height < ONE:  # a tiny figure still shows as a sliver
                height = ONE
                edge = zero_y - ONE if value > 0 else zero_y
            text = format_number(value, decimal_places, unit)
            bars.append(
                Bar(
                    x=_coordinate(group_x + (group_width - inner) / 2 + j * bar_width),
                    y=_coordinate(min(edge, zero_y)),
                    width=_coordinate(bar_width),
                    height=_coordinate(height),
                    value=value,
                    text=text,
                    title=_("%(series)s, %(category)s: %(value)s")
                    % {"series": s.label, "category": category.name, "value": text},
                    css_class=f"chart-series-{j % SERIES_COLOURS + 1}",
                    negative=value < 0,
                )
            )

    legend: list[LegendItem] = []
    x = Decimal(PLOT_LEFT)
    for j, s in enumerate(all_series):
        legend.append(
            LegendItem(
                x=_coordinate(x),
                text_x=_coordinate(x + 14),
                label=s.label,
                css_class=f"chart-series-{j % SERIES_COLOURS + 1}",
            )
        )
        x += 14 + 7 * len(s.label) + 18

    rows = [
        TableRow(
            title=category.name,
            values=[format_number(s.values[i], decimal_places, unit) for s in all_series],
        )
        for i, category in enumerate(cats)
    ]
    series_names = ", ".join(s.label for s in all_series)
    if not description and cats:
        description = _(
            "Bar chart of %(series)s from %(first)s to %(last)s; "
            "the table that follows gives the same figures."
        ) % {"series": series_names, "first": cats[0].name, "last": cats[-1].name}
    return BarChart(
        id=chart_id,
        title=str(title),
        description=str(description),
        unit=unit,
        category_heading=str(category_heading) or _("Category"),
        empty_text=str(empty_text) or _("Nothing to show yet."),
        categories=cats,
        series=all_series,
        bars=bars,
        ticks=ticks,
        axis_labels=axis_labels,
        legend=legend,
        rows=rows,
        is_empty=not any(values),
    )
