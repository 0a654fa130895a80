"""Template helpers for the schedules pages."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from agents.services.schedules import TimelineBar, TimelineDay

register = template.Library()

# The template's indentation, so the page's source reads as it did when a loop drew the cells.
_INDENT = "\n                "


def _bar(bar: TimelineBar) -> str:
    classes = "tl-bar tl-continued" if bar.continued else "tl-bar"
    style = f"left: {escape(bar.left)}%; width: {escape(bar.width)}%;"
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
        now = f'<span class="tl-now" style="left: {escape(now_left)}%;" aria-hidden="true"></span>'
        track += _INDENT + now
    classes = "tl-day-cell tl-today" if day.today else "tl-day-cell"
    return (
        f'<td class="{classes}">\n'
        f'              <div class="tl-track">{_INDENT}{track}\n'
        "              </div>\n"
        "            </td>"
    )


@register.simple_tag
def timeline_day_cells(days: tuple[TimelineDay, ...], now_left: str) -> SafeString:
    """The seven day cells of one timeline row: each day's bars, or "off", and the now line.

    Built here, as Django's admin builds its change list's cells (`items_for_result`): as nested
    {% for %} and {% if %} tags these 350 cells a page were two thirds of the timeline's
    rendering, and `format_html` would cost as much again. Every text is escaped where it is
    written in; a day without a bar says "off" to screen readers.
    """
    cells = "\n            ".join(_day_cell(day, now_left) for day in days)
    return mark_safe(cells)  # noqa: S308 - every text in the cells is escaped above
