"""The admin's selection of agents in the directory, kept on the server for the session.

Either explicit ids (rows ticked one by one, or a page at a time), or "all matching" a filter,
kept as the filter's query string rather than thousands of ids, so selecting 20,000 agents
posts a few bytes. The selection survives paging and filter changes until it is cleared.

It is stored in its own row (`CadSelection`, keyed by the session), and every change is a
read-modify-write of that row under a lock, in one transaction: two changes sent at once both
count, whatever order they arrive in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from agents.filters import AgentFilter
from agents.forms import MAX_EXPLICIT_IDS
from agents.models import Agent, CadSelection
from agents.services.agent_queries import AgentFilters
from agents.services.agent_selection import (
    agents_selected,
    agents_selected_among,
    agents_selected_count,
)


@dataclass
class Selection:
    agent_ids: set[str] = field(default_factory=set)
    # The directory's filters alone as a query string (`ListState.filter_query`) when "all
    # matching" a filter.
    all_matching_query: str | None = None
    excluded_ids: set[str] = field(default_factory=set)  # unticked rows of "all matching"

    @property
    def is_empty(self) -> bool:
        return not self.agent_ids and self.all_matching_query is None

    @property
    def is_all_matching(self) -> bool:
        return self.all_matching_query is not None

    def _matching_filterset(self) -> AgentFilter:
        return AgentFilter(QueryDict(self.all_matching_query or ""), queryset=Agent.objects.all())

    @property
    def matching(self) -> AgentFilters | None:
        """The "all matching" filter as the services take it (None for picked rows)."""
        if self.all_matching_query is None:
            return None
        return self._matching_filterset().values

    def _selected(self) -> dict:
        """This selection as `services.agent_selection` takes it."""
        return {
            "agent_ids": self.agent_ids,
            "matching": self.matching,
            "excluded_ids": self.excluded_ids,
        }

    def agents(self) -> QuerySet[Agent]:
        """The agents this selection stands for."""
        return agents_selected(**self._selected())

    def count(self) -> int:
        return agents_selected_count(**self._selected())

    def ticks(self, page_agent_ids: list[str]) -> frozenset[str]:
        """Which rows on show the selection covers (one query at most)."""
        return agents_selected_among(page_agent_ids, **self._selected())

    @property
    def description(self) -> str:
        if self.all_matching_query is None:
            return "agents picked one by one"
        text = f"all agents matching {self._matching_filterset().description}"
        if self.excluded_ids:
            text += f", except {len(self.excluded_ids)} unticked"
        return text

    # --- changes -----------------------------------------------------------------------------

    def add(self, agent_ids: set[str]) -> None:
        if self.all_matching_query is not None:
            # Rows outside the chosen filter cannot join it; unticked ones can come back.
            self.excluded_ids -= agent_ids
            return
        self.agent_ids |= agent_ids
        if len(self.agent_ids) > MAX_EXPLICIT_IDS:
            self.agent_ids = set(sorted(self.agent_ids)[:MAX_EXPLICIT_IDS])

    def remove(self, agent_ids: set[str]) -> None:
        if self.all_matching_query is not None:
            # Unticking rows of "all matching" is bounded as ticking them is: past the limit
            # the admin narrows the filter instead.
            self.excluded_ids |= agent_ids
            if len(self.excluded_ids) > MAX_EXPLICIT_IDS:
                self.excluded_ids = set(sorted(self.excluded_ids)[:MAX_EXPLICIT_IDS])
            return
        self.agent_ids -= agent_ids

    def select_all_matching(self, query: str) -> None:
        self.all_matching_query = query
        self.agent_ids = set()
        self.excluded_ids = set()

    def clear(self) -> None:
        self.agent_ids = set()
        self.all_matching_query = None
        self.excluded_ids = set()


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def _from_row(row: CadSelection | None) -> Selection:
    if row is None:
        return Selection()
    return Selection(
        agent_ids=set(row.agent_ids),
        all_matching_query=row.all_matching_query,
        excluded_ids=set(row.excluded_ids),
    )


def selection_for(request: HttpRequest) -> Selection:
    """The selection kept for this user's session (empty when there is none)."""
    key = request.session.session_key
    return _from_row(CadSelection.objects.filter(session_key=key).first() if key else None)


def selection_change(request: HttpRequest, change: Callable[[Selection], None]) -> Selection:
    """Apply `change` to the stored selection atomically and return the result.

    The row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions
    take the write lock at once), so concurrent changes run one after the other.
    """
    key = _session_key(request)
    _, created = CadSelection.objects.get_or_create(session_key=key)
    if created:
        # Rows of sessions that ended: no session outlives SESSION_MAX_HOURS.
        stale = timezone.now() - timedelta(hours=settings.SESSION_MAX_HOURS)
        CadSelection.objects.filter(updated_at__lt=stale).delete()
    with transaction.atomic():
        row = CadSelection.objects.select_for_update().get(session_key=key)
        selection = _from_row(row)
        change(selection)
        row.agent_ids = sorted(selection.agent_ids)
        row.all_matching_query = selection.all_matching_query
        row.excluded_ids = sorted(selection.excluded_ids)
        row.save()
    return selection


def selection_save(request: HttpRequest, selection: Selection) -> None:
    """Replace the stored selection with `selection`."""

    def replace(stored: Selection) -> None:
        stored.agent_ids = set(selection.agent_ids)
        stored.all_matching_query = selection.all_matching_query
        stored.excluded_ids = set(selection.excluded_ids)

    selection_change(request, replace)
