"""Template helpers for the agent directory (its links come from `agents.liststate`)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping[key]`, or None: `{{ list.sort_headers|get_item:column.name }}`."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None
