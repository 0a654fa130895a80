"""GET /api/v1/coverage?slot=60|30&<the directory's filters>: the schedules page's heatmap as
figures, active agents on duty per slot of the week, against the staffing targets that apply
(the filtered group's, or the whole account's), as its CSV export gives them."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import urlencode
from ninja import Query, Router, Schema
from pydantic import Field

from agents import working_hours
from agents.api.agent_filters import AgentFilterQuery, agent_list_state
from agents.api.audit import api_read_record
from agents.api.auth import needs
from agents.api.problems import refuse_unknown_parameters
from agents.api.schemas import SlotMinutes
from agents.services import coverage as coverage_service
from agents.services import staffing_targets as target_service

router = Router(tags=["schedules"])


class CoverageQuery(AgentFilterQuery):
    slot: SlotMinutes = Field(60, description="Slot length in minutes.")


class CoverageSlot(Schema):
    weekday: str
    start: str = Field(description="HH:MM, in the account's time zone.")
    on_duty: int = Field(description="Active agents on duty at the slot's first minute.")
    target: int | None
    shortfall: int | None = Field(description="max(0, target − on duty); null without target.")


class CoverageOut(Schema):
    slot: SlotMinutes
    time_zone: str
    active_agents: int = Field(description="Active agents the filters select.")
    gap_count: int = Field(description="Slots with nobody on duty.")
    targets_group: str | None = Field(
        description='The group whose targets apply; "" for the whole account\'s; null when '
        "none apply (several groups filtered, or no group within a team scope)."
    )
    short_count: int
    agent_hours_short: float
    slots: list[CoverageSlot]


@router.get(
    "/coverage",
    response=CoverageOut,
    summary="Coverage per slot of the week",
    auth=needs("agents.view_schedules"),
)
def coverage_get(request: HttpRequest, query: Query[CoverageQuery]):
    """The heatmap's figures for the agents the directory's filters select (recorded in the
    exports audit trail, as the heatmap's CSV is)."""
    refuse_unknown_parameters(request, CoverageQuery)
    state = agent_list_state(request.GET)
    target_scope = target_service.staffing_target_scope(
        group_pks=state.filters.group_pks, slot_minutes=query.slot
    )
    coverage = coverage_service.agent_coverage(
        filters=state.filters, slot_minutes=query.slot, target_scope=target_scope
    )
    slots = [
        {
            "weekday": row.name,
            "start": working_hours.format_minute(cell.minute),
            "on_duty": cell.count,
            "target": cell.target,
            "shortfall": cell.shortfall,
        }
        for row in coverage.rows
        for cell in row.cells
    ]
    api_read_record(
        request,
        filter_query="&".join(filter(None, [state.filter_query, urlencode({"slot": query.slot})])),
        rows=len(slots),
    )
    return {
        "slot": query.slot,
        "time_zone": working_hours.account_zone().key,
        "active_agents": coverage.active_agents,
        "gap_count": coverage.gap_count,
        "targets_group": target_scope.group_id,
        "short_count": coverage.short_count,
        "agent_hours_short": coverage.agent_minutes_short / 60,
        "slots": slots,
    }
