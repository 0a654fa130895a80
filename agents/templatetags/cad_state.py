"""How the CAD ledger's state of an agent reads on a page: the table's CAD column and the
agent's panel use this one wording."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from agents.models import CadState
from agents.services.cad_ledger import ListedCadState
from agents.time_ago import age_words

register = template.Library()


@register.filter
def cad_state_label(state: CadState | ListedCadState | None, now: datetime | None = None) -> str:
    """ "On · set 2 h ago", "Off · set …", or "Not set here".

    Never DeepCall's state: only what this dashboard last set.
    """
    if state is None:
        return "Not set here"
    now = now or timezone.now()
    age = max(0, int((now - state.set_at).total_seconds()))
    return f"{CadState.State(state.state).label} · set {age_words(age)}"
