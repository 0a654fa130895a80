"""/api/v1/staffing-targets?group=&slot=: one group's (or, with no group, the whole account's)
targets per slot of the week. PUT replaces them all at once, validated as the page's CSV import
is (the same rules and wording, every bad row listed) and written all or nothing."""

from __future__ import annotations

import csv
import io
import re
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field, StrictInt

from agents import working_hours
from agents.api.audit import api_read_record
from agents.api.auth import needs
from agents.api.problems import ApiProblem, refuse_unknown_parameters
from agents.api.schemas import SlotMinutes
from agents.forms import TargetScopeForm
from agents.models import StaffingTargetChange
from agents.services import staffing_targets as target_service

router = Router(tags=["staffing targets"])

_FILE_LINE = re.compile(r"first on line ([0-9]+)")

# A week of half hours is 336 slots; the CSV import's own bound.
MAX_TARGETS = target_service.IMPORT_MAX_ROWS


class TargetQuery(Schema):
    group: str | None = Field(
        None, max_length=64, description="A DeepCall group id; none: the whole account's."
    )
    slot: SlotMinutes = Field(60, description="Slot length in minutes.")


Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class TargetRow(Schema):
    model_config = ConfigDict(extra="forbid")

    weekday: Weekday
    start: str = Field(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="The slot's start, HH:MM, in the account's time zone: on the hour (or "
        "the half hour, with slot=30).",
    )
    target: StrictInt | None = Field(
        ge=0, le=target_service.TARGET_MAX, description="Agents needed; null: no target."
    )


class TargetsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    targets: list[TargetRow] = Field(
        max_length=MAX_TARGETS,
        description="Every slot that has a target: the others are cleared.",
    )


class TargetsOut(Schema):
    group: str | None = Field(description="The group's id; null for the whole account's.")
    group_name: str
    slot: SlotMinutes
    time_zone: str
    targets: list[TargetRow]


class TargetsSaved(TargetsOut):
    slots_changed: int


def _group_and_slot(request: HttpRequest, query: TargetQuery) -> tuple[str, int]:
    """The group (as the targets page reads `?group=`) and slot size; ApiProblem 422 for a
    group the user may not see, or the whole account's targets within a team scope."""
    group = (query.group or "").strip()
    form = TargetScopeForm(
        {"group": group, "slot": query.slot},
        group_choices=target_service.staffing_target_groups(),
    )
    if not form.is_valid():
        raise ApiProblem(
            422,
            "There is no group with that id (or it is outside the groups you are responsible for).",
            errors=[("group", " ".join(form.errors["group"]))],
        )
    if not group and not target_service.staffing_targets_overall_allowed():
        raise ApiProblem(
            422,
            "Name one of your groups: the overall targets are the whole account's, outside "
            "the groups you are responsible for.",
            errors=[("group", "Required within a team scope.")],
        )
    return group, query.slot


def _targets_out(group_id: str, slot_minutes: int) -> dict:
    targets = target_service.staffing_targets(group_id=group_id, slot_minutes=slot_minutes)
    return {
        "group": group_id or None,
        "group_name": target_service.staffing_target_group_name(group_id),
        "slot": slot_minutes,
        "time_zone": working_hours.account_zone().key,
        "targets": [
            {
                "weekday": working_hours.WEEKDAY_NAMES[weekday],
                "start": working_hours.format_minute(minute),
                "target": target,
            }
            for (weekday, minute), target in sorted(targets.items())
        ],
    }


@router.get(
    "/staffing-targets",
    response=TargetsOut,
    summary="A group's staffing targets",
    auth=needs("agents.view_staffingtarget"),
)
def targets_get(request: HttpRequest, query: Query[TargetQuery]):
    """The slots that have a target, Monday first; read as the targets page's CSV export is
    (and recorded in the exports audit trail as it is)."""
    refuse_unknown_parameters(request, TargetQuery)
    group_id, slot_minutes = _group_and_slot(request, query)
    answer = _targets_out(group_id, slot_minutes)
    api_read_record(
        request,
        filter_query=f"group={group_id}&slot={slot_minutes}"
        if group_id
        else f"slot={slot_minutes}",
        rows=len(answer["targets"]),
    )
    return answer


@router.put(
    "/staffing-targets",
    response=TargetsSaved,
    summary="Replace a group's staffing targets",
    auth=needs("agents.change_staffingtarget"),
)
def targets_put(request: HttpRequest, query: Query[TargetQuery], payload: TargetsIn):
    """All of the group's targets at once: the slots listed get their target, every other slot
    is cleared. Checked as the page's CSV import is; one bad row and nothing changes (422,
    every bad row listed as `targets.<index>`)."""
    refuse_unknown_parameters(request, TargetQuery)
    group_id, slot_minutes = _group_and_slot(request, query)
    # The import's own parser: one set of rules and words for a file and for a script.
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(target_service.CSV_HEADER)
    for row in payload.targets:
        writer.writerow([row.weekday, row.start, "" if row.target is None else row.target])
    try:
        values = target_service.staffing_targets_parse_csv(
            content=text.getvalue().encode(), slot_minutes=slot_minutes
        )
    except target_service.TargetImportInvalid as invalid:
        # The parser counts the lines of a file (the header is line 1); a script counts items.
        errors = [
            (
                f"targets.{problem.line - 2}" if problem.line >= 2 else "targets",
                _FILE_LINE.sub(lambda m: f"first as targets.{int(m[1]) - 2}", problem.message),
            )
            for problem in invalid.errors
        ]
        raise ApiProblem(
            422,
            f"Nothing was changed: {len(errors)} of the targets are not valid.",
            errors=errors,
        ) from invalid
    changed = target_service.staffing_targets_import(
        group_id=group_id,
        slot_minutes=slot_minutes,
        values=values,
        user=request.auth.user,
        action=StaffingTargetChange.Action.API,
    )
    return {**_targets_out(group_id, slot_minutes), "slots_changed": changed}
