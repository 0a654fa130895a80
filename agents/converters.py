"""The agent id as one segment of a URL path, whatever its characters.

Ids are opaque (shared/deepcall/agent-api.md): any printable text of up to 64 characters. As
the segment of /agents/<id>/ a "/" would split it, "." or ".." would be folded away by the
browser, and an id equal to a fixed route ("refresh", "export.csv") would reach that route.
Those characters are written as "~" and two hex digits ("~" itself as "~7E"); everything else
is left to Django's own percent-encoding.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, register_converter, reverse
from django.utils.http import RFC3986_SUBDELIMS

# The fixed routes that share /agents/<segment>/ with the agents' pages (agents/urls.py).
FIXED_SEGMENTS = frozenset({"refresh", "export.csv"})
_ESCAPED = re.compile(r"~([0-9A-Fa-f]{2})")


def _escape(char: str) -> str:
    return f"~{ord(char):02X}"


class AgentIdConverter:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)

    def to_url(self, value: str) -> str:
        text = re.sub(r"[~/]", lambda m: _escape(m.group()), str(value))
        if text in FIXED_SEGMENTS or set(text) == {"."}:
            text = _escape(text[0]) + text[1:]
        return text


def agent_id_url_segment(agent_id: str) -> str:
    """The id as `reverse()` writes it into /agents/<id>/: this converter's escapes, then
    Django's percent-encoding (the characters it leaves as they are, as `reverse` does)."""
    return quote(AgentIdConverter().to_url(agent_id), safe=RFC3986_SUBDELIMS + "/~:@")


# Stands for the id in the detail route reversed once (`agent_detail_url`).
_ID_PLACEHOLDER = "agent-id-placeholder"


@lru_cache(maxsize=8)
def _detail_route(script_prefix: str) -> tuple[str, str]:
    before, _, after = reverse("agent-detail", args=[_ID_PLACEHOLDER]).rpartition(_ID_PLACEHOLDER)
    return before, after


def agent_detail_url(agent_id: str) -> str:
    """`reverse("agent-detail", args=[agent_id])`, with the route reversed once per process
    (and prefix the site is served under) rather than once a row: 30 µs each, 0.75 ms of a
    25-row directory page and 1.5 ms of a 50-row timeline (README, Performance)."""
    before, after = _detail_route(get_script_prefix())
    return f"{before}{agent_id_url_segment(agent_id)}{after}"


# Registered here, once, for every URL configuration that names it: the pages' (agents/urls.py)
# and the API's (agents/api/agents.py), whichever is imported first.
register_converter(AgentIdConverter, "agent_id")
