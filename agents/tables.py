"""The directory table: its columns and how each cell shows. It only renders.

The view hands it everything: the page's agents with their groups, hours and CAD states, and
the rows the admin's selection ticks (selectors of `services`); the list state's sort headers
and the page (`views.lists.list_page`). `templates/tables/list_table.html`
draws it: the region, caption, sort headers, then `rows_html`, then the page links.

A small presenter rather than django-tables2: the directory had replaced both halves of what
django-tables2 does (its request handling by the list state, its row rendering by
`rows_html`), and what was left (its table set-up and sorting dispatch) cost time on every
page and gave no feature (README, Performance).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from agents import working_hours
from agents.converters import agent_detail_url
from agents.models import Agent, CadState
from agents.services.agent_queries import group_display_name
from agents.templatetags.cad_state import cad_state_label

DETAIL_TARGET = "#agent-detail-body"
# DeepCall's preDeleted: still an agent, listed and counted, but about to go.
PENDING_DELETION_BADGE = mark_safe(' <span class="badge text-bg-warning">Pending deletion</span>')
# Cells that read the same on every row they appear in, built once rather than once a row.
NO_GROUPS_CELL = format_html('<span class="text-body-secondary">{}</span>', "None")
ACTIVE_CELL = format_html('<span class="badge text-bg-success">{}</span>', "Active")
INACTIVE_CELL = format_html('<span class="badge text-bg-secondary">{}</span>', "Inactive")
ON_SHIFT_CELL = format_html('<span class="badge text-bg-primary">{}</span>', "On shift")
OFF_SHIFT_CELL = format_html('<span class="text-body-secondary">{}</span>', "Off")
CAD_NOT_SET_CELL = format_html('<span class="text-body-secondary">{}</span>', cad_state_label(None))
SELECT_ALL_HEADER = mark_safe(
    '<input type="checkbox" class="form-check-input js-select-page" id="select-page" '
    'aria-label="Select all on this page" form="bulk-form">'
)


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # `col-<name>` on its header and cells: the stylesheet sizes and pins by it
    header: str  # text, or safe HTML
    orderable: bool = True  # sorted by the list state's sort key of the same name


AGENT_COLUMNS = (
    Column("select", SELECT_ALL_HEADER, orderable=False),
    Column("id", "ID"),
    Column("name", "Name"),
    Column("email", "Email"),
    Column("phone", "Phone"),
    Column("destination", "Destination"),
    Column("groups", "Groups"),
    Column("hours", "Working hours"),
    Column("status", "Status"),
    Column("role", "Role"),
    Column("on_shift", "On shift"),
    # The ledger's state: what this dashboard last set, never DeepCall's (which it cannot see).
    Column("cad", "CAD", orderable=False),
)


@dataclass
class AgentTable:
    """One page of the directory, ready to draw."""

    agents: list[Agent]  # with `listed_groups`, `listed_windows`, `listed_cad_state` attached
    duplicated_names: frozenset[str]  # group names shown with their id
    now: datetime  # the instant "on shift now" is judged at
    page: object  # views.lists.ListPage: the page links below the table
    sort_headers: dict  # column name -> liststate.SortHeader
    caption: str
    ticked_ids: frozenset[str] | None = None  # None: no select column (not an admin)
    can_see_cad_jobs: bool = False  # who set CAD is the CAD audit trail's

    html_id = "agent-table"
    css_class = "table table-sm table-hover align-middle mb-0 agent-table"
    region_id = "agent-table-wrap"  # its own scrolling region, reachable by keyboard
    region_label = "Agents table"
    htmx_target = "#agent-table-region"

    def __post_init__(self) -> None:
        self.weekday_minute = working_hours.local_weekday_minute(self.now)

    @property
    def columns(self) -> tuple[Column, ...]:
        if self.ticked_ids is None:
            return AGENT_COLUMNS[1:]
        return AGENT_COLUMNS

    @property
    def header_cells(self) -> list[tuple[Column, str, object]]:
        """(column, its `<th>` classes, its sort header or None) for each column."""
        cells = []
        for column in self.columns:
            header = self.sort_headers.get(column.name) if column.orderable else None
            classes = [f"col-{column.name}"]
            if header is not None and header.direction:
                classes.append("desc" if header.direction == "descending" else "asc")
            if column.orderable:
                classes.append("orderable")
            cells.append((column, " ".join(classes), header))
        return cells

    def rows_html(self) -> SafeString:
        """The page's rows: one `render_<column>` per cell, escaped unless it built safe HTML.

        Built in Python rather than by a template loop over up to 1,200 cells, which measured
        several times slower (README, Performance).
        """
        plan: list[tuple[str, Callable[[Agent], object]]] = [
            (f'<td class="col-{column.name}">', getattr(self, f"render_{column.name}"))
            for column in self.columns
        ]
        rows = []
        for agent in self.agents:
            cells = "".join(
                f"{opening}{conditional_escape(render(agent))}</td>" for opening, render in plan
            )
            rows.append(f'<tr data-agent-id="{conditional_escape(agent.agent_id)}">{cells}</tr>')
        return mark_safe("\n".join(rows))  # noqa: S308 - every cell and attribute escaped above

    def render_select(self, agent: Agent) -> str:
        checked = " checked" if agent.agent_id in self.ticked_ids else ""
        return format_html(
            '<input type="checkbox" class="form-check-input" name="agent_id" value="{}" '
            'aria-label="Select {}" form="bulk-form"{}>',
            agent.agent_id,
            agent.name,
            mark_safe(checked),  # noqa: S308 - one of two constants
        )

    def render_id(self, agent: Agent) -> str:
        return agent.agent_id

    def render_name(self, agent: Agent) -> str:
        url = agent_detail_url(agent.agent_id)
        return format_html(
            '<a href="{}" hx-get="{}" hx-target="{}" hx-push-url="true" '
            'class="agent-link fw-semibold">{}</a>{}',
            url,
            url,
            DETAIL_TARGET,
            agent.name,
            PENDING_DELETION_BADGE if agent.pending_deletion else "",
        )

    def render_email(self, agent: Agent) -> str:
        return agent.email or "—"

    def render_phone(self, agent: Agent) -> str:
        return agent.phone or "—"

    def render_destination(self, agent: Agent) -> str:
        if not agent.dest_type and not agent.dest_value:
            return "—"
        return format_html(
            '<span class="badge text-bg-light border me-1">{}</span>{}',
            agent.dest_type or "?",
            agent.dest_value,
        )

    def render_groups(self, agent: Agent) -> str:
        groups = agent.listed_groups
        if not groups:
            return NO_GROUPS_CELL
        return ", ".join(sorted(group_display_name(g, self.duplicated_names) for g in groups))

    def render_hours(self, agent: Agent) -> str:
        return working_hours.schedule_humanise(agent.listed_windows)

    def render_status(self, agent: Agent) -> str:
        return ACTIVE_CELL if agent.is_active else INACTIVE_CELL

    def render_role(self, agent: Agent) -> str:
        return agent.role_name or "—"

    def render_on_shift(self, agent: Agent) -> str:
        weekday, minute = self.weekday_minute
        if any(working_hours.window_covers(w, weekday, minute) for w in agent.listed_windows):
            return ON_SHIFT_CELL
        return OFF_SHIFT_CELL

    def render_cad(self, agent: Agent) -> str:
        state = agent.listed_cad_state
        if state is None:
            return CAD_NOT_SET_CELL
        label = cad_state_label(state, now=self.now)
        set_by = f" by {state.set_by or 'a deleted user'}" if self.can_see_cad_jobs else ""
        return format_html(
            '<span class="badge {}" title="{}">{}</span>',
            "text-bg-success" if state.state == CadState.State.ON else "text-bg-secondary",
            f"As set here{set_by} on {timezone.localtime(state.set_at):%d %b %Y %H:%M}",
            label,
        )
