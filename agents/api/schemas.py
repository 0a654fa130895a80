"""What the API answers: agents, groups, working hours, pages. Field names are the pages' own
(`agent_id` is `id` here as in the directory's column "ID"; CAD "as set here" is the ledger)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field, WithJsonSchema


class GroupOut(Schema):
    id: str = Field(description="The DeepCall group id (opaque text).")
    name: str


class WindowOut(Schema):
    days: list[str] = Field(description="The weekdays the window starts on, Monday first.")
    start_minute: int = Field(description="Minutes after midnight, the account's time zone.")
    end_minute: int = Field(
        description="As DeepCall gives it: 1439 is the end of the day; less than the start "
        "crosses midnight."
    )
    text: str = Field(description="In words, as the directory shows it.")


class WorkingHoursOut(Schema):
    text: str = Field(description='All windows in words, e.g. "Mon–Fri 09:00–18:00".')
    windows: list[WindowOut]


class CadOut(Schema):
    state: Literal["on", "off"] | None = Field(
        description="CAD as last set by this dashboard; null when it never set it here "
        "(DeepCall does not tell its own state)."
    )
    set_at: datetime | None


class AgentOut(Schema):
    id: str
    name: str
    email: str
    phone: str
    dest_type: str
    dest_value: str
    role: str
    status: Literal["active", "inactive"]
    pending_deletion: bool
    on_shift_now: bool
    groups: list[GroupOut]
    working_hours: WorkingHoursOut
    cad: CadOut


class AgentPage(Schema):
    count: int = Field(description="How many agents match the filters, on every page.")
    page: int
    per_page: int
    next: str | None = Field(description="The next page's URL; null on the last page.")
    results: list[AgentOut]


def _slot_minutes(value: int) -> int:
    if value not in SLOT_MINUTES:
        raise ValueError("Slots can be 60 or 30 minutes long.")
    return value


SLOT_MINUTES = (60, 30)
# A slot length as a query parameter: "60" or "30" (a Literal of ints would refuse the text).
SlotMinutes = Annotated[
    int, AfterValidator(_slot_minutes), WithJsonSchema({"type": "integer", "enum": [60, 30]})
]
