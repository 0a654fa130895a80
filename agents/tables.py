"""The directory table (django-tables2): how each cell of an agent row is shown.

Sorting and paging are the directory service's (whitelisted, URL-driven); this table renders
the rows it is given, with the groups and windows the directory service attached to each
(`listed_groups`, `listed_windows`: no query per row).
"""

from __future__ import annotations

from datetime import datetime

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from agents import working_hours
from agents.models import Agent
from agents.selection import Selection
from agents.services.agent_queries import group_display_name
from agents.services.cad_ledger import cad_state_label, cad_states

DETAIL_TARGET = "#agent-detail-body"
# DeepCall's preDeleted: still an agent, listed and counted, but about to go.
PENDING_DELETION_BADGE = mark_safe(' <span class="badge text-bg-warning">Pending deletion</span>')
SELECT_ALL_HEADER = mark_safe(
    '<input type="checkbox" class="form-check-input js-select-page" id="select-page" '
    'aria-label="Select all on this page" form="bulk-form">'
)


class AgentTable(tables.Table):
    select = tables.Column(
        empty_values=(),
        orderable=False,
        verbose_name=SELECT_ALL_HEADER,
        attrs={"th": {"class": "col-select"}, "td": {"class": "col-select"}},
    )
    id = tables.Column(accessor="agent_id", verbose_name="ID", orderable=False)
    name = tables.Column(orderable=False)
    email = tables.Column(orderable=False)
    phone = tables.Column(orderable=False)
    destination = tables.Column(empty_values=(), orderable=False)
    groups = tables.Column(empty_values=(), orderable=False)
    hours = tables.Column(empty_values=(), orderable=False, verbose_name="Working hours")
    status = tables.Column(empty_values=(), orderable=False)
    role = tables.Column(accessor="role_name", orderable=False)
    on_shift = tables.Column(empty_values=(), orderable=False, verbose_name="On shift")
    # The ledger's state: what this dashboard last set, never DeepCall's (which it cannot see).
    cad = tables.Column(empty_values=(), orderable=False, verbose_name="CAD")

    class Meta:
        template_name = "agents/table.html"
        orderable = False
        attrs = {
            "class": "table table-sm table-hover align-middle mb-0 agent-table",
            "id": "agent-table",
        }

    def __init__(
        self,
        data,
        *,
        selection: Selection | None = None,
        duplicated_names: frozenset[str] = frozenset(),
        now: datetime,
        can_select: bool = False,
        sort_headers: dict | None = None,
        **kwargs,
    ):
        exclude = () if can_select else ("select",)
        super().__init__(data, exclude=exclude, **kwargs)
        self.sort_headers = sort_headers or {}
        self.selection = selection or Selection()
        self.duplicated_names = duplicated_names
        self.weekday_minute = working_hours.local_weekday_minute(now)
        self.now = now
        self.cad_states = cad_states(record.agent_id for record in self.data.data)

    @property
    def header_cells(self) -> list[tuple]:
        """(column, its sort header or None): the list state makes the sort links."""
        return [(column, self.sort_headers.get(column.name)) for column in self.columns]

    def rows_html(self) -> SafeString:
        """The table body's rows, as HTML.

        Built here rather than in the template: the cells come straight from the `render_*`
        methods and the columns' accessors, without django-tables2's per-cell dispatch (which
        inspects each render method's signature for every cell: about half the time of a
        directory page) or a template loop over each of the page's 250 cells.
        """
        plan = []
        for column in self.columns:
            render = getattr(self, f"render_{column.name}", None)
            plan.append(
                (f'<td class="col-{column.name}">', render, column.accessor, column.default)
            )
        rows = []
        for record in self.data.data:
            cells = []
            for opening, render, accessor, default in plan:
                if render is not None:
                    value = render(record)
                else:
                    value = accessor.resolve(record)
                    value = default if value in (None, "") else value
                # Safe strings (the render methods' format_html) pass; anything else is escaped.
                cells.append(f"{opening}{conditional_escape(value)}</td>")
            rows.append(
                f'<tr data-agent-id="{conditional_escape(record.agent_id)}">{"".join(cells)}</tr>'
            )
        return mark_safe("\n".join(rows))  # noqa: S308 - every cell escaped above

    def render_select(self, record: Agent) -> str:
        checked = " checked" if self.selection.is_selected(record.agent_id) else ""
        return format_html(
            '<input type="checkbox" class="form-check-input" name="agent_id" value="{}" '
            'aria-label="Select {}" form="bulk-form"{}>',
            record.agent_id,
            record.name,
            mark_safe(checked),  # noqa: S308 - one of two constants
        )

    def render_name(self, record: Agent) -> str:
        url = reverse("agent-detail", args=[record.agent_id])
        return format_html(
            '<a href="{}" hx-get="{}" hx-target="{}" hx-push-url="true" '
            'class="agent-link fw-semibold">{}</a>{}',
            url,
            url,
            DETAIL_TARGET,
            record.name,
            PENDING_DELETION_BADGE if record.pending_deletion else "",
        )

    def render_destination(self, record: Agent) -> str:
        if not record.dest_type and not record.dest_value:
            return "—"
        return format_html(
            '<span class="badge text-bg-light border me-1">{}</span>{}',
            record.dest_type or "?",
            record.dest_value,
        )

    def render_groups(self, record: Agent) -> str:
        groups = record.listed_groups
        if not groups:
            return format_html('<span class="text-body-secondary">{}</span>', "None")
        names = sorted(group_display_name(g, self.duplicated_names) for g in groups)
        return format_html_join(", ", "{}", ((n,) for n in names))

    def render_hours(self, record: Agent) -> str:
        return working_hours.windows_humanise(record.listed_windows)

    def render_status(self, record: Agent) -> str:
        if record.is_active:
            return format_html('<span class="badge text-bg-success">{}</span>', "Active")
        return format_html('<span class="badge text-bg-secondary">{}</span>', "Inactive")

    def render_on_shift(self, record: Agent) -> str:
        weekday, minute = self.weekday_minute
        if any(working_hours.window_covers(w, weekday, minute) for w in record.listed_windows):
            return format_html('<span class="badge text-bg-primary">{}</span>', "On shift")
        return format_html('<span class="text-body-secondary">{}</span>', "Off")

    def render_cad(self, record: Agent) -> str:
        state = self.cad_states.get(record.agent_id)
        label = cad_state_label(state, now=self.now)
        if state is None:
            return format_html('<span class="text-body-secondary">{}</span>', label)
        return format_html(
            '<span class="badge {}" title="{}">{}</span>',
            "text-bg-success" if state.state == state.State.ON else "text-bg-secondary",
            f"As set here by {state.set_by or 'a deleted user'} on "
            f"{timezone.localtime(state.set_at):%d %b %Y %H:%M}",
            label,
        )
