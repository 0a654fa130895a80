"""The admin's selection of agents in the directory, kept on the server in the session.

Either explicit ids (rows ticked one by one or a page at a time) or "all matching" a filter,
kept as the filter's query string rather than thousands of ids.

STUB: the bulk CAD work fills this in; the directory already calls `selection_for(request)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Selection:
    agent_ids: set[str] = field(default_factory=set)
    all_matching_query: str | None = None  # the directory's query string, when "all matching"

    def is_selected(self, agent_id: str) -> bool:
        return self.all_matching_query is not None or agent_id in self.agent_ids

    @property
    def is_empty(self) -> bool:
        return not self.agent_ids and self.all_matching_query is None


def selection_for(request) -> Selection:
    return Selection()
