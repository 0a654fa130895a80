"""The home page: what people look for first (how many agents, who is on shift, last sync)."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.models import Count, Q
from django.utils import timezone

from agents import working_hours
from agents.models import CadJob
from agents.services.agent_changes import changes_unseen_count
from agents.services.agent_queries import duplicated_group_names, group_display_name
from agents.services.cad_ledger import cad_on_count
from agents.services.read_model_status import sync_status
from agents.services.team_scopes import agents_in_scope, cad_jobs_in_scope, groups_in_scope
from agents.team_scope import active_team_scope

# The busiest groups listed on the home page; the directory's filter has them all.
HOME_TOP_GROUPS = 10
HOME_RECENT_JOBS = 5


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def home_summary(*, user) -> dict:
    """Counts of the directory (CAD on as set here too), the top groups, the sync's freshness
    and recent CAD jobs.

    Recent CAD jobs only for users who may see them (agents.view_cadjob).
    """
    agents = agents_in_scope()
    counts = agents.aggregate(total=Count("pk"), active=Count("pk", filter=Q(is_active=True)))
    on_shift = agents.filter(working_hours.agent_on_shift_q(timezone.now())).count()
    duplicated = duplicated_group_names()
    groups = [
        (group, group_display_name(group, duplicated), group.agent_count)
        # A group in scope has all its agents in scope: its count is whole.
        for group in groups_in_scope()
        .annotate(agent_count=Count("agents"))
        .filter(agent_count__gt=0)
        .order_by("-agent_count", "name", "group_id")[:HOME_TOP_GROUPS]
    ]
    can_see_changes = user.has_perm("agents.view_agent")
    unseen, seen_at = changes_unseen_count(user=user) if can_see_changes else (0, None)
    can_see_jobs = user.has_perm("agents.view_cadjob")
    recent_jobs = (
        list(cad_jobs_in_scope(CadJob.objects.select_related("created_by"))[:HOME_RECENT_JOBS])
        if can_see_jobs
        else []
    )
    return {
        "agents_total": counts["total"],
        "agents_active": counts["active"],
        "agents_on_shift": on_shift,
        "agents_cad_on": cad_on_count(),
        "top_groups": groups,
        "sync": sync_status(),
        # A sync's counts are the whole account's: a user with a team scope sees their own
        # figures above, not how many agents the account has.
        "account_counts_shown": active_team_scope().is_whole_account,
        "can_see_jobs": can_see_jobs,
        "recent_jobs": recent_jobs,
        "time_zone": working_hours.account_zone().key,
        "can_see_changes": can_see_changes,
        "changes_unseen": unseen,
        # The history's `after` filter: exactly the instant of the last visit.
        "changes_since": seen_at.isoformat() if seen_at else "",
    }
