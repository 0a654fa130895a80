"""A user's team scope: the DeepCall groups they are responsible for, and the one in force.

A scope is a set of DeepCall group ids (ids, not names: names repeat). An agent is in scope when
any of its groups is. No scope is the whole account: users without one (every user before team
scopes existed) see and act on every agent, as before.

The scope in force for the work being done is held in a context variable, as the read model's
pinned version is (`services.read_model_cache`): `TeamScopeMiddleware` sets the signed-in user's
for each request, and every selector of agents, changes, schedules, targets and jobs reads it
(`services.team_scopes`), so no view, partial or export can forget it. Commands, the worker and
tasks run with the whole account unless they say otherwise (`team_scope_active`). Cached values
are keyed by it (`services.read_model_cache.cached_per_version`), so a scoped user never reads
an unscoped user's cached count or markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TeamScope:
    """The groups a user is responsible for; `group_ids` None: the whole account."""

    group_ids: frozenset[str] | None = None

    @classmethod
    def of_groups(cls, group_ids: Iterable[str]) -> TeamScope:
        return cls(frozenset(str(group_id) for group_id in group_ids))

    @property
    def is_whole_account(self) -> bool:
        return self.group_ids is None

    def holds(self, other: TeamScope) -> bool:
        """Whether everything `other` reaches is within this scope: the whole account holds
        every scope; a set of groups holds only its own subsets (never the whole account)."""
        if self.group_ids is None:
            return True
        return other.group_ids is not None and other.group_ids <= self.group_ids

    @property
    def cache_key(self) -> str:
        """A stable text for cache keys: "*" for the whole account, else the sorted ids."""
        if self.group_ids is None:
            return "*"
        return "\x1f".join(sorted(self.group_ids))

    def __str__(self) -> str:
        if self.group_ids is None:
            return "the whole account"
        return "groups " + ", ".join(sorted(self.group_ids)) if self.group_ids else "no groups"


WHOLE_ACCOUNT = TeamScope()

# A group id as the API gives it (agents.models.Group.group_id holds up to this).
GROUP_ID_MAX_LENGTH = 64


def parse_group_ids(text: str) -> frozenset[str]:
    """Group ids typed as "501,502" (commas between): the set, or ValueError saying what is
    wrong. Ids are opaque text, kept as typed but for the spaces around each."""
    ids = frozenset(part.strip() for part in text.split(",") if part.strip())
    if not ids:
        raise ValueError("Give at least one group id, e.g. 501,502 (or the whole account).")
    too_long = sorted(i for i in ids if len(i) > GROUP_ID_MAX_LENGTH)
    if too_long:
        raise ValueError(f"Not a group id (over {GROUP_ID_MAX_LENGTH} characters): {too_long[0]}")
    return ids


_active: ContextVar[TeamScope] = ContextVar("team_scope", default=WHOLE_ACCOUNT)


def active_team_scope() -> TeamScope:
    """The scope the current request (or command, or task) works within."""
    return _active.get()


@contextmanager
def team_scope_active(scope: TeamScope) -> Iterator[TeamScope]:
    """Inside, every selector answers within `scope`."""
    token = _active.set(scope)
    try:
        yield scope
    finally:
        _active.reset(token)
