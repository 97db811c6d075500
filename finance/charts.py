"""Bar charts as inline SVG, drawn on the server: no script, no library.
The SVG scales to its container (viewBox, width 100%) and names itself for
screen readers (<title>, <desc>); pages put the same figures in a table."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 28, 48
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
FONT_SIZE = 18


@dataclass(frozen=True)
class Bar:
    label: str  # what the bar stands for, e.g. a day "2026-03-01"
    value: int  # sets the height: a count, or an amount in minor units
    value_text: str  # the value as people read it: "3", "150.00"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, *, anchor: str = "start", css_class: str = "chart-label") -> str:
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}" font-size="{FONT_SIZE}" '
        f'class="{css_class}">{escape(content)}</text>'
    )


def bar_heights(values: Sequence[int]) -> list[float]:
    """Heights in the plot's units, proportional to the values; all zero
    when every value is zero."""
    highest = max(values, default=0)
    if highest <= 0:
        return [0.0 for _ in values]
    return [PLOT_HEIGHT * max(value, 0) / highest for value in values]


def bar_chart(
    *, chart_id: str, title: str, description: str, bars: Sequence[Bar], y_label: str, x_label: str
) -> SafeString:
    """One bar per item, left to right; the y axis runs from 0 to the
    largest value, the x axis is labelled with the first and last items."""
    ids = f"{escape(chart_id)}-title {escape(chart_id)}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-labelledby="{ids}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    baseline = TOP + PLOT_HEIGHT
    slot = PLOT_WIDTH / len(bars) if bars else PLOT_WIDTH
    # A gap between bars while they are wide enough to spare one.
    gap = slot * 0.2 if slot >= 4 else 0
    for index, (bar, height) in enumerate(zip(bars, bar_heights([bar.value for bar in bars]), strict=False)):
        x = LEFT + index * slot + gap / 2
        parts.append(
            f'<rect class="chart-bar" x="{_number(x)}" y="{_number(baseline - height)}" '
            f'width="{_number(slot - gap)}" height="{_number(height)}">'
            f"<title>{escape(bar.label)}: {escape(bar.value_text)}</title></rect>"
        )
    axis = f"M{LEFT} {TOP} V{baseline} H{LEFT + PLOT_WIDTH}"
    parts.append(f'<path class="chart-axis" d="{axis}" fill="none" stroke="currentColor"/>')
    top_bar = max(bars, key=lambda bar: bar.value, default=None)
    if top_bar is not None and top_bar.value > 0:
        parts.append(_text(LEFT - 6, TOP + FONT_SIZE / 2, top_bar.value_text, anchor="end"))
    parts.append(_text(LEFT - 6, baseline, "0", anchor="end"))
    parts.append(_text(LEFT, TOP - 10, y_label, css_class="chart-axis-title"))
    if bars:
        parts.append(_text(LEFT, baseline + FONT_SIZE + 4, bars[0].label))
    if len(bars) > 1:
        parts.append(_text(LEFT + PLOT_WIDTH, baseline + FONT_SIZE + 4, bars[-1].label, anchor="end"))
    parts.append(_text(LEFT + PLOT_WIDTH / 2, HEIGHT - 4, x_label, anchor="middle", css_class="chart-axis-title"))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every piece of text above is escaped
