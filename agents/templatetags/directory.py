"""Template helpers for the agent directory (links themselves use Django's {% querystring %})."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping[key]`, or None: `{{ sort_headers|get_item:column.name }}`."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None


@register.simple_tag(takes_context=True)
def directory_filter_form(context):
    """The directory's filter form bound to this request's query string.

    For pages that include `agents/partials/filter_form.html` without passing `filter_form`.
    """
    from agents.services.directory import agent_filter_set

    request = context.get("request")
    params = request.GET if request is not None else {}
    return agent_filter_set(params).form
