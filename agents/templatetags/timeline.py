"""Template helpers for drawing working hours as bars across a day (timeline, detail panel)."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from agents.services.coverage import TimelineBar, TimelineDay
from agents.working_hours import MINUTES_PER_DAY

register = template.Library()

# The template's indentation, so the page's source reads as it did when a loop drew the cells.
_INDENT = "\n                "


def day_percent(minutes: int) -> str:
    """Minutes as a percentage of a day, for a style attribute: always a dot, never a comma."""
    return f"{minutes * 100 / MINUTES_PER_DAY:.3f}"


@register.filter
def bar_left(segment) -> str:
    """`left` of a bar for anything with `start_minute` (a percentage of the day)."""
    return day_percent(segment.start_minute)


@register.filter
def bar_width(segment) -> str:
    """`width` of a bar for anything with `start_minute` and `end_minute`."""
    return day_percent(segment.end_minute - segment.start_minute)


def _bar(bar: TimelineBar) -> str:
    classes = "tl-bar tl-continued" if bar.continued else "tl-bar"
    style = f"left: {bar_left(bar)}%; width: {bar_width(bar)}%;"
    label = escape(bar.label)
    return (
        f'<span class="{classes}" style="{style}" title="{label}">'
        f'<span class="visually-hidden">{label}</span></span>'
    )


def _day_cell(day: TimelineDay, now_left: str) -> str:
    if day.bars:
        track = _INDENT.join(_bar(bar) for bar in day.bars)
    else:
        track = f'<span class="visually-hidden">{escape(day.name)}: off</span>'
    if day.today:
        now = f'<span class="tl-now" style="left: {now_left}%;" aria-hidden="true"></span>'
        track += _INDENT + now
    classes = "tl-day-cell tl-today" if day.today else "tl-day-cell"
    return (
        f'<td class="{classes}">\n'
        f'              <div class="tl-track">{_INDENT}{track}\n'
        "              </div>\n"
        "            </td>"
    )


@register.simple_tag
def timeline_day_cells(days: tuple[TimelineDay, ...], now_minute: int) -> SafeString:
    """The seven day cells of one timeline row: each day's bars, or "off", and the now line.

    Built here, as Django's admin builds its change list's cells (`items_for_result`): as nested
    {% for %} and {% if %} tags these 350 cells a page were two thirds of the timeline's
    rendering, and `format_html` would cost as much again. Every text is escaped where it is
    written in (the percentages are numbers formatted here); a day without a bar says "off" to
    screen readers.
    """
    now_left = day_percent(int(now_minute))
    cells = "\n            ".join(_day_cell(day, now_left) for day in days)
    return mark_safe(cells)  # noqa: S308 - every text in the cells is escaped above
