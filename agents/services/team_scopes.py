"""Team scopes: whose agents a user sees and acts on, and every change of it (who, when, before,
after). The rule and the scope in force are `agents.team_scope`'s; here are the selectors every
other service starts from, one per kind of data, so the scope is applied in one place each:

- agents: `agents_in_scope` (the directory, counts, exports, schedules, selections, the home
  page start from it through `agent_queries.agents_matching`);
- groups: `groups_in_scope` (the group filters' choices, the home page's groups, targets);
- the change history: `changes_in_scope`;
- CAD: `cad_results_in_scope`, `cad_jobs_in_scope`, `cad_job_visible`, and the check
  `agent_ids_out_of_scope` that job creation and the posted selections make;
- what users typed: a CAD job's filter description and a CSV export's filter name whatever
  their author searched for, agents outside a viewer's scope too. Each job and export records
  the scope it was made within (`team_scope_record`); a scoped viewer sees that text only when
  their scope holds it (`made_within_scope`, `cad_jobs_with_description_in_scope`), and sees
  only the exports made within their scope (`csv_exports_in_scope`). A job they may see (it
  touched their agents) but made with a wider scope shows its agents in scope, a count of the
  rest, and no filter text;
- people: `users_in_scope` (the users page, disabling and enabling) and `sign_in_events_in_scope`
  (the sign-in record). A scoped admin sees and manages the users whose own scope theirs holds:
  not the whole account's users nor another team's, whose usernames (often email addresses, a
  team lead's may be an agent's too) and sign-ins are that team's business. A sign-in that
  names no account (a failure with whatever was typed) is the whole account's.

A scope whose groups have no agents now selects nothing: never the whole account.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

from agents.models import (
    GROUP_KEY_SEPARATOR,
    WHOLE_ACCOUNT_KEYS,
    Agent,
    AgentChange,
    CadJob,
    CadResult,
    CsvExport,
    Group,
    SignInEvent,
    TeamScopeChange,
    UserTeamScope,
    group_keys_for,
)
from agents.services.read_model_cache import cached_per_version
from agents.team_scope import WHOLE_ACCOUNT, TeamScope, active_team_scope, team_scope_active

# Ids per `IN (…)` when checking posted ids: below every backend's bound-parameter limit.
ID_CHUNK_SIZE = 500


# --- a user's scope ------------------------------------------------------------------------------


def team_scope_of(*, user) -> TeamScope:
    """`user`'s scope; the whole account for users without one (and for no user)."""
    if user is None or not getattr(user, "pk", None):
        return WHOLE_ACCOUNT
    group_ids = UserTeamScope.objects.filter(user=user).values_list("group_ids", flat=True).first()
    return WHOLE_ACCOUNT if group_ids is None else TeamScope.of_groups(group_ids)


def signed_in_team_scope(user) -> TeamScope:
    """The scope of a request's signed-in user: read with the user by the authentication
    backend (`agents.auth`), so no query; `team_scope_of` for a user read any other way."""
    if not get_user_model().team_scope.is_cached(user):
        return team_scope_of(user=user)
    try:
        return TeamScope.of_groups(user.team_scope.group_ids)
    except UserTeamScope.DoesNotExist:
        return WHOLE_ACCOUNT


def team_scopes_may_change(*, user) -> bool:
    """Whether `user` may change scopes: an admin (`auth.change_user`) with the whole account;
    a scoped admin could otherwise widen their own."""
    return user.has_perm("auth.change_user") and team_scope_of(user=user).is_whole_account


@transaction.atomic
def team_scope_set(
    *, user, scope: TeamScope, changed_by=None, changed_by_name: str = ""
) -> TeamScopeChange | None:
    """Give `user` this scope (`WHOLE_ACCOUNT` removes it) and record the change: who
    (`changed_by`, or `changed_by_name` from the command line), when, before and after.
    Returns the record, or None when the scope was already so (nothing recorded). Raises
    PermissionDenied when `changed_by` may not change scopes (`team_scopes_may_change`)."""
    if changed_by is not None and not team_scopes_may_change(user=changed_by):
        raise PermissionDenied("Only an admin with the whole account may change team scopes.")
    row = UserTeamScope.objects.select_for_update().filter(user=user).first()
    before = None if row is None else sorted(row.group_ids)
    after = None if scope.group_ids is None else sorted(scope.group_ids)
    if before == after:
        return None
    if after is None:
        UserTeamScope.objects.filter(user=user).delete()
    else:
        UserTeamScope.objects.update_or_create(user=user, defaults={"group_ids": after})
    return TeamScopeChange.objects.create(
        user=user,
        username=user.get_username(),
        changed_by=changed_by,
        changed_by_name=changed_by.get_username() if changed_by else changed_by_name,
        before=before,
        after=after,
    )


def team_scope_changes(*, user) -> QuerySet[TeamScopeChange]:
    """Every change of `user`'s scope, newest first."""
    return TeamScopeChange.objects.filter(user=user).select_related("changed_by")


def team_scopes_of(users: Iterable) -> dict[int, TeamScope]:
    """The scope of each of `users` by primary key (one query, for a page of users)."""
    rows = UserTeamScope.objects.filter(user__in=list(users)).values_list("user_id", "group_ids")
    return {user_id: TeamScope.of_groups(group_ids) for user_id, group_ids in rows}


def team_scope_label(scope: TeamScope | list[str] | None) -> str:
    """A scope in words: "Whole account", or its groups by name and id ("Sales (#501)"); a
    group with no agents now is "Group #503". Takes a scope or a record's list of ids."""
    if isinstance(scope, TeamScope):
        scope = None if scope.group_ids is None else sorted(scope.group_ids)
    if scope is None:
        return "Whole account"
    if not scope:
        return "No groups"
    names = dict(Group.objects.filter(group_id__in=scope).values_list("group_id", "name"))
    return ", ".join(f"{names[g]} (#{g})" if g in names else f"Group #{g}" for g in sorted(scope))


def team_scope_group_choices(scope: TeamScope) -> list[tuple[str, str]]:
    """(group id, label) of every group a scope can name: the read model's, and those of
    `scope` that have no agents now."""
    choices = {g.group_id: f"{g.name} (#{g.group_id})" for g in Group.objects.all()}
    for group_id in scope.group_ids or ():
        choices.setdefault(group_id, f"Group #{group_id} (no agents now)")
    return sorted(choices.items(), key=lambda item: item[1].lower())


# --- selectors -----------------------------------------------------------------------------------


def _scope_group_pks(scope: TeamScope) -> tuple[int, ...]:
    return cached_per_version(
        "scope-group-pks",
        lambda: tuple(
            Group.objects.filter(group_id__in=sorted(scope.group_ids or ())).values_list(
                "pk", flat=True
            )
        ),
        scope.cache_key,
    )


def in_any_group_q(group_ids: Iterable[str]) -> Q:
    """Rows (agents, or change history entries) whose `group_keys` hold any of `group_ids`;
    none for no ids. `StrIndex` (instr / strpos), not LIKE: SQLite's LIKE ignores case, and
    ids are opaque ("ab" and "AB" are two groups)."""
    in_groups = Q(pk__in=[])
    for group_id in sorted(set(group_ids)):
        key = group_keys_for([group_id])
        in_groups |= Q(GreaterThan(StrIndex("group_keys", Value(key)), 0))
    return in_groups


def agent_in_scope_q(scope: TeamScope | None = None) -> Q:
    """Agents in the scope (by default, the one in force): any of their groups is in it.

    A test of the agent's own `group_keys`: a deep page walks past several agents of the
    account for each one in the scope, and a probe of the agent-group links for each made
    directory page 40 a third slower than the unscoped one (100,000 agents)."""
    scope = scope or active_team_scope()
    if scope.is_whole_account:
        return Q()
    return in_any_group_q(scope.group_ids)


def agents_in_scope(
    agents: QuerySet[Agent] | None = None, *, within_groups: Collection[int] = ()
) -> QuerySet[Agent]:
    """The agents (of `agents`, by default all) in the scope in force.

    `within_groups`: group primary keys the caller already keeps the agents to (a group
    filter); when the scope holds them all, every such agent is in it and no second test is
    made (a team lead's filter by one of their groups costs what an unscoped one does)."""
    agents = Agent.objects.all() if agents is None else agents
    scope = active_team_scope()
    if scope.is_whole_account:
        return agents
    if within_groups and set(within_groups) <= set(_scope_group_pks(scope)):
        return agents
    return agents.filter(agent_in_scope_q(scope))


def groups_in_scope(groups: QuerySet[Group] | None = None) -> QuerySet[Group]:
    """The groups (of `groups`, by default all) in the scope in force."""
    groups = Group.objects.all() if groups is None else groups
    scope = active_team_scope()
    if scope.is_whole_account:
        return groups
    return groups.filter(group_id__in=sorted(scope.group_ids))


def group_id_in_scope(group_id: str) -> bool:
    """Whether the DeepCall group `group_id` is in the scope in force ("" is the whole
    account's, in scope only for the whole account)."""
    scope = active_team_scope()
    if scope.is_whole_account:
        return True
    return bool(group_id) and group_id in scope.group_ids


def agent_ids_out_of_scope(agent_ids: Collection[str], scope: TeamScope | None = None) -> list[str]:
    """Which of `agent_ids` are not agents in the scope (by default, the one in force): out of
    it, or unknown, which a scoped user cannot tell apart. Sorted; [] for the whole account."""
    scope = scope or active_team_scope()
    if scope.is_whole_account or not agent_ids:
        return []
    ids = sorted(set(agent_ids))
    found: set[str] = set()
    with team_scope_active(scope):
        for start in range(0, len(ids), ID_CHUNK_SIZE):
            chunk = ids[start : start + ID_CHUNK_SIZE]
            found.update(
                agents_in_scope(Agent.objects.filter(agent_id__in=chunk)).values_list(
                    "agent_id", flat=True
                )
            )
    return [agent_id for agent_id in ids if agent_id not in found]


def out_of_scope_message(count: int) -> str:
    """What a user is told when something they sent names agents outside their groups."""
    agents = "agent is" if count == 1 else "agents are"
    return (
        f"Refused: {count:,} of the {agents} not in the groups you are responsible for "
        "(or no longer exist). Nothing was changed."
    )


def changes_in_scope(changes: QuerySet[AgentChange] | None = None) -> QuerySet[AgentChange]:
    """The change history entries (of `changes`, by default all) of agents that were in the
    scope's groups at the time. A first load names no agent and is the whole account's."""
    changes = AgentChange.objects.all() if changes is None else changes
    scope = active_team_scope()
    if scope.is_whole_account:
        return changes
    return changes.filter(in_any_group_q(scope.group_ids))


def cad_results_in_scope(results: QuerySet[CadResult]) -> QuerySet[CadResult]:
    """The per-agent results (of a job) whose agent is in the scope in force."""
    if active_team_scope().is_whole_account:
        return results
    return results.filter(agent_id__in=agents_in_scope().values("agent_id"))


def cad_jobs_in_scope(jobs: QuerySet[CadJob]) -> QuerySet[CadJob]:
    """The jobs that touched an agent in the scope in force (with a result for one), and the
    queued or running ones with an agent in it."""
    if active_team_scope().is_whole_account:
        return jobs
    results = cad_results_in_scope(CadResult.objects.filter(job_id=OuterRef("pk")))
    unfinished = CadJob.objects.filter(status__in=(CadJob.Status.QUEUED, CadJob.Status.RUNNING))
    visible_unfinished = [
        job.pk for job in unfinished.only("pk", "agent_ids") if cad_job_visible(job)
    ]
    return jobs.filter(Q(Exists(results)) | Q(pk__in=visible_unfinished))


def cad_job_visible(job: CadJob) -> bool:
    """Whether the job touched (or is to touch) an agent in the scope in force."""
    if active_team_scope().is_whole_account:
        return True
    if cad_results_in_scope(job.results.all()).exists():
        return True
    return len(agent_ids_out_of_scope(job.agent_ids)) < len(set(job.agent_ids))


# --- what was made within a scope ----------------------------------------------------------------


def team_scope_record(scope: TeamScope) -> str:
    """What a CAD job or a CSV export keeps of the scope it was made within (`scope_keys`):
    its groups' keys (`group_keys_for`), or WHOLE_ACCOUNT_KEYS."""
    return WHOLE_ACCOUNT_KEYS if scope.is_whole_account else group_keys_for(scope.group_ids)


def team_scope_recorded(scope_keys: str) -> TeamScope:
    """The scope a record's `scope_keys` stands for (WHOLE_ACCOUNT_KEYS: the whole account,
    which records made before scopes were recorded are taken to be)."""
    if scope_keys == WHOLE_ACCOUNT_KEYS:
        return WHOLE_ACCOUNT
    return TeamScope.of_groups(key for key in scope_keys.split(GROUP_KEY_SEPARATOR) if key)


def made_within_scope(scope_keys: str) -> bool:
    """Whether a record made within `scope_keys` is within the scope in force, so that what
    its author typed can name no agent outside it."""
    return active_team_scope().holds(team_scope_recorded(scope_keys))


def _scope_keys_within(records: QuerySet) -> list[str]:
    """The recorded scopes (`scope_keys`) among `records` that the scope in force holds: a
    handful of distinct values (one per team), tested here rather than in SQL."""
    recorded = records.exclude(scope_keys=WHOLE_ACCOUNT_KEYS)
    recorded = recorded.order_by().values_list("scope_keys", flat=True)
    return sorted(keys for keys in set(recorded.distinct()) if made_within_scope(keys))


def csv_exports_in_scope(exports: QuerySet[CsvExport] | None = None) -> QuerySet[CsvExport]:
    """The CSV exports (of `exports`, by default all) made within the scope in force: their
    filters were typed by someone who saw no agent outside it."""
    exports = CsvExport.objects.all() if exports is None else exports
    if active_team_scope().is_whole_account:
        return exports
    return exports.filter(scope_keys__in=_scope_keys_within(CsvExport.objects.all()))


def cad_jobs_with_description_in_scope(jobs: QuerySet[CadJob]) -> QuerySet[CadJob]:
    """`jobs`, each with `description_in_scope`: its filter description when it was made
    within the scope in force, else "" (another admin's search text may name agents outside
    it; the job's page says the description is not shown)."""
    if active_team_scope().is_whole_account:
        return jobs.annotate(description_in_scope=F("filter_description"))
    within = _scope_keys_within(CadJob.objects.all())
    return jobs.annotate(
        description_in_scope=Case(
            When(scope_keys__in=within, then=F("filter_description")),
            default=Value(""),
            output_field=TextField(),
        )
    )


# --- people ----------------------------------------------------------------------------------


def users_in_scope(users: QuerySet | None = None) -> QuerySet:
    """The users (of `users`, by default all) whose own team scope the scope in force holds;
    users without a scope have the whole account, which only the whole account holds."""
    users = get_user_model().objects.all() if users is None else users
    scope = active_team_scope()
    if scope.is_whole_account:
        return users
    # One row per scoped user (a few hundred at most), tested here: a JSON list is not
    # compared alike on every database.
    rows = UserTeamScope.objects.values_list("user_id", "group_ids")
    within = [user_id for user_id, group_ids in rows if scope.holds(TeamScope.of_groups(group_ids))]
    return users.filter(pk__in=within)


def sign_in_events_in_scope(events: QuerySet[SignInEvent]) -> QuerySet[SignInEvent]:
    """The sign-in events (of `events`) of users in the scope in force (`users_in_scope`)."""
    if active_team_scope().is_whole_account:
        return events
    return events.filter(user__in=users_in_scope().values("pk"))
