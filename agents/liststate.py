"""The state of a list page, read from its query string: one object per request owns it.

As Django admin's `ChangeList`: the view builds it from `request.GET`; it parses and validates
(a django-filter FilterSet for what is shown, a plain form for how), says what it ignored, hands
the services typed values, and makes every link of the page. A link carries only the values that
differ from their defaults, in a fixed order, so equal views have equal URLs.

`ListState` is the generic part (any FilterSet, any display form); `AgentListState` adds the
agent filters the directory, the selection and the schedules pages share; `DirectoryState` and
`ScheduleState` add each page's own parameters, under their own names.

To add a filter: a field on the FilterSet (its name is the query-string key) and, for agents, a
field on `AgentFilters` with its clause in `agents_matching` and its words in
`AgentFilter.description`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import quote
from urllib.parse import urlencode as urlencode_with

import django_filters
from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django_htmx.http import push_url

from agents import working_hours
from agents.filters import (
    AgentChangeFilter,
    AgentFilter,
    CadJobFilter,
    CadResultFilter,
    CsvExportFilter,
    SignInFilter,
    UserFilter,
)
from agents.forms import TargetScopeForm
from agents.models import Agent, AgentChange, CadJob, CadResult
from agents.services import agent_changes as changes_service
from agents.services import agent_queries, sign_in_record, user_accounts
from agents.services.agent_queries import AgentFilters
from agents.services.team_scopes import cad_jobs_in_scope, csv_exports_in_scope

PAGE_VAR = "page"
SORT_VAR = "sort"
PER_PAGE_VAR = "per_page"
SLOT_VAR = "slot"
# 25 rows fit a laptop screen; 100 is the most a page renders quickly at 100,000 agents.
PER_PAGE_CHOICES = (25, 50, 100)
DEFAULT_PER_PAGE = PER_PAGE_CHOICES[0]


@dataclass(frozen=True, slots=True)
class PageLink:
    text: str
    url: str  # "" for the ellipsis
    current: bool = False


@dataclass(frozen=True, slots=True)
class SortHeader:
    key: str
    url: str  # sorts by this column (toggling the direction when it is current)
    direction: str  # "ascending", "descending" or "" (aria-sort)
    label: str  # what the link does, for screen readers


class PageForm(forms.Form):
    """The display options of a list that only pages."""

    page = forms.IntegerField(required=False, min_value=1, initial=1)


class ListState:
    """A list page's validated query string, and every link that keeps it.

    Subclasses name a `filterset_class` (what is shown) and a `display_form_class` (how: its
    fields' `initial` values are the defaults links leave out). Both forms' field names are the
    query-string keys; a page's own parameters must not reuse a filter's name.
    """

    filterset_class: ClassVar[type[django_filters.FilterSet] | None] = None
    display_form_class: ClassVar[type[forms.Form] | None] = None

    def __init__(self, params: QueryDict, *, path: str):
        self.params = params
        self.path = path
        self.notices: list[str] = []
        self.display_errors: set[str] = set()
        self.filterset = (
            self.filterset_class(params, queryset=self.base_queryset())
            if self.filterset_class is not None
            else None
        )
        self.display = self._clean_display(params)
        self._values = self._valid_values()
        if PAGE_VAR in self.display_errors:
            self.notices.append("The page number was not a positive whole number; showing page 1.")

    @property
    def rejected(self) -> bool:
        """Whether a value of the query was dropped (said in a notice, or by the page itself)."""
        filter_errors = self.filterset is not None and bool(self.filterset.form.errors)
        return bool(self.notices or self.display_errors or filter_errors)

    @property
    def page_number(self) -> int:
        """The page asked for (1 when the list has no pages or the number did not parse)."""
        return self.display.get(PAGE_VAR, 1)

    # --- parsing -------------------------------------------------------------------------------

    def base_queryset(self):
        return None

    def _clean_display(self, params: QueryDict) -> dict:
        if self.display_form_class is None:
            return {}
        form = self.display_form_class(params)
        form.is_valid()
        cleaned = {}
        for name, field in form.fields.items():
            if name in form.errors or form.cleaned_data.get(name) in (None, ""):
                cleaned[name] = field.initial
            else:
                cleaned[name] = form.cleaned_data[name]
        self.display_errors = set(form.errors)
        return cleaned

    def _valid_values(self) -> dict[str, list[str]]:
        """The query's valid values as strings, filters first, each in declaration order."""
        values: dict[str, list[str]] = {}
        if self.filterset is not None:
            errors = self.filterset.form.errors
            for name in self.filterset.form.fields:
                if name in errors:
                    # Every list says what it ignored, in these words, and filters by the rest.
                    shown = ", ".join(f"“{v}”" for v in self.params.getlist(name)[:3])
                    label = str(self.filterset.form.fields[name].label or name).lower()
                    self.notices.append(f"Ignored {label} {shown}: {' '.join(errors[name])}")
                    continue
                given = sorted({v for v in self.params.getlist(name) if v.strip()})
                if given:
                    values[name] = given
        for name, value in self.display.items():
            values[name] = [str(value)]
        return values

    @property
    def defaults(self) -> dict[str, str]:
        if self.display_form_class is None:
            return {}
        return {
            name: "" if field.initial is None else str(field.initial)
            for name, field in self.display_form_class.base_fields.items()
        }

    @property
    def filter_names(self) -> tuple[str, ...]:
        return tuple(self.filterset.form.fields) if self.filterset is not None else ()

    # --- the filter form ------------------------------------------------------------------------

    @property
    def filter_fields(self) -> list[tuple[str, str]]:
        """Display values the filter form carries along (hidden), so filtering keeps them."""
        return []

    @property
    def form_query(self) -> str:
        """What a filter form's choices show: this state's query without its free-text filters
        and its page and sort (neither is a field of the form), so a new search or page reuses
        the choices' markup (`partials/filter_form.html`)."""
        text = [
            name
            for name, definition in self.filterset.filters.items()
            if isinstance(definition, django_filters.CharFilter)
        ]
        return self.query(**dict.fromkeys([*text, PAGE_VAR, SORT_VAR]))

    @property
    def active_filter_count(self) -> int:
        """How many filters hold a valid value (the "Filters (2)" summary)."""
        return sum(1 for name in self.filter_names if name in self._values)

    # --- links ---------------------------------------------------------------------------------

    def query(self, **changes: object) -> str:
        """ "?…" for this page's state with `changes` (None or "" resets a key), or "".

        Only values that differ from their defaults are written, in a fixed order.
        """
        values = dict(self._values)
        for key, value in changes.items():
            if value is None or value == "":
                values.pop(key, None)
            elif isinstance(value, list | tuple):
                values[key] = [str(v) for v in value]
            else:
                values[key] = [str(value)]
        defaults = self.defaults
        pairs = [
            (key, value)
            for key, given in values.items()
            for value in given
            if defaults.get(key) != value
        ]
        encoded = urlencode(pairs)
        return f"?{encoded}" if encoded else ""

    def url(self, **changes: object) -> str:
        return self.path + self.query(**changes)

    @property
    def current_url(self) -> str:
        return self.url()

    @property
    def clear_url(self) -> str:
        """This page with its filters removed (display options kept)."""
        return self.url(**dict.fromkeys(self.filter_names))

    @property
    def filter_query(self) -> str:
        """The filters alone, without "?" ("all matching" selections keep this)."""
        pairs = [(k, v) for k in self.filter_names for v in self._values.get(k, ())]
        return urlencode(pairs)

    @property
    def is_filtered(self) -> bool:
        return any(name in self._values for name in self.filter_names)

    # --- the address bar ----------------------------------------------------------------------

    def redirect_to_clean_url(self, request: HttpRequest) -> HttpResponse | None:
        """A redirect to `current_url` when a plain GET asked for this page in other words: a
        form sent without JavaScript carries every field, empty or default. None when the URL
        is clean already (in any order), for htmx and other methods, and when a value was
        rejected (its notice needs the URL as typed)."""
        if request.method != "GET" or request.htmx or self.rejected:
            return None
        if set(self.params) - {*self.filter_names, *self.display}:
            return None  # keys this page does not know: left as typed, not a form's doing
        asked = sorted((key, sorted(values)) for key, values in self.params.lists())
        clean = QueryDict(self.query().removeprefix("?"))
        if asked == sorted((key, sorted(values)) for key, values in clean.lists()):
            return None
        return redirect(self.current_url)

    def push_clean_url(self, request: HttpRequest, response: HttpResponse) -> None:
        """After an htmx swap asked with a form's every field, the address bar shows
        `current_url` instead (`?q=sharma`, not `?q=sharma&status=&per_page=25`)."""
        if request.method != "GET" or not request.htmx or request.htmx.history_restore_request:
            return
        if self.rejected:
            return
        if self.params.urlencode() == self.query().removeprefix("?"):
            return
        push_url(response, self.current_url)


# --- agent lists ---------------------------------------------------------------------------------


class AgentListState(ListState):
    """A list of agents filtered by the directory's filters (`filters.AgentFilter`)."""

    filterset_class = AgentFilter

    def base_queryset(self):
        return Agent.objects.all()

    @cached_property
    def filters(self) -> AgentFilters:
        return self.filterset.values

    @property
    def description(self) -> str:
        """The filters in words, e.g. 'group Sales (#3), active, text “ann”'."""
        return self.filterset.description

    @classmethod
    def from_filter_query(cls, query: str) -> AgentListState:
        """The state a stored `filter_query` stands for, e.g. an "all matching" selection."""
        return cls(QueryDict(query), path=reverse("agent-list"))


# --- the directory -------------------------------------------------------------------------------

SORT_LABELS = {"id": "ID", "hours": "working hours", "on_shift": "on shift"}


class DirectoryDisplayForm(forms.Form):
    """How the directory shows its agents; `initial` is each value's default."""

    sort = forms.CharField(required=False, max_length=40, initial=agent_queries.DEFAULT_SORT)
    page = forms.IntegerField(required=False, min_value=1, initial=1)
    per_page = forms.TypedChoiceField(
        required=False,
        choices=[(n, str(n)) for n in PER_PAGE_CHOICES],
        coerce=int,
        initial=DEFAULT_PER_PAGE,
    )

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"]
        if sort and sort.removeprefix("-") not in agent_queries.SORT_KEYS:
            # An unknown column falls back to the default without a notice (a stale bookmark).
            return agent_queries.DEFAULT_SORT
        return sort


class DirectoryState(AgentListState):
    """The directory page (and its CSV export and refresh): agent filters, sort, page, size."""

    display_form_class = DirectoryDisplayForm

    def __init__(self, params: QueryDict, *, path: str | None = None):
        super().__init__(params, path=path or reverse("agent-list"))
        if PER_PAGE_VAR in self.display_errors:
            self.notices.append(f"Pages can hold 25, 50 or 100 rows; showing {DEFAULT_PER_PAGE}.")

    @property
    def sort(self) -> str:
        return self.display[SORT_VAR]

    @property
    def sort_key(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def per_page(self) -> int:
        return self.display[PER_PAGE_VAR]

    # --- links ---------------------------------------------------------------------------------

    @property
    def base_query(self) -> str:
        """The state without its page number: what refresh and polling keep."""
        return self.query(**{PAGE_VAR: None})

    @property
    def export_url(self) -> str:
        return reverse("agent-export") + self.query(**{PAGE_VAR: None, PER_PAGE_VAR: None})

    @cached_property
    def sort_headers(self) -> dict[str, SortHeader]:
        headers = {}
        for key in agent_queries.SORT_KEYS:
            if key == self.sort_key:
                next_sort = key if self.descending else f"-{key}"
                direction = "descending" if self.descending else "ascending"
                label = "sort ascending" if self.descending else "sort descending"
            else:
                next_sort, direction, label = key, "", "sort ascending"
            url = self.url(**{SORT_VAR: next_sort, PAGE_VAR: None})
            headers[key] = SortHeader(key=key, url=url, direction=direction, label=label)
        return headers

    @property
    def sort_caption(self) -> str:
        direction = "descending" if self.descending else "ascending"
        return f"sorted by {SORT_LABELS.get(self.sort_key, self.sort_key)}, {direction}"

    @property
    def per_page_choices(self) -> Iterable[int]:
        return PER_PAGE_CHOICES

    @property
    def base_url(self) -> str:
        return self.path + self.base_query


# --- schedules -----------------------------------------------------------------------------------


class ScheduleDisplayForm(forms.Form):
    """The schedules page's own parameters: the heatmap's slot size and the timeline's page."""

    slot = forms.TypedChoiceField(
        required=False,
        choices=working_hours.SLOT_SIZES,
        coerce=int,
        initial=working_hours.DEFAULT_SLOT_MINUTES,
    )
    page = forms.IntegerField(required=False, min_value=1, initial=1)


class ScheduleState(AgentListState):
    """The schedules pages (timeline, heatmap, CSV, one slot): agent filters, slot size, page."""

    display_form_class = ScheduleDisplayForm

    def __init__(self, params: QueryDict, *, path: str | None = None):
        super().__init__(params, path=path or reverse("schedules"))
        if SLOT_VAR in self.display_errors:
            self.notices.append("Slots can be 60 or 30 minutes long; showing hours.")

    @property
    def slot_minutes(self) -> int:
        return self.display[SLOT_VAR]

    # --- links ---------------------------------------------------------------------------------

    @property
    def filter_fields(self) -> list[tuple[str, str]]:
        """Values the filter form carries along, so filtering keeps the slot size."""
        if self.slot_minutes == working_hours.DEFAULT_SLOT_MINUTES:
            return []
        return [(SLOT_VAR, str(self.slot_minutes))]

    def slot_size_links(self) -> list[tuple[int, str, str, bool]]:
        """(minutes, text, url, current) for each slot size."""
        return [
            (value, text, self.url(**{SLOT_VAR: value, PAGE_VAR: None}), value == self.slot_minutes)
            for value, text in working_hours.SLOT_SIZES
        ]

    @property
    def csv_url(self) -> str:
        return reverse("schedules-coverage-csv") + self.query(**{PAGE_VAR: None})

    @property
    def back_url(self) -> str:
        return reverse("schedules") + self.query(**{PAGE_VAR: None})

    @property
    def slot_base_url(self) -> str:
        """The slot panel's URL without its day and minute, which each heatmap cell appends."""
        query = self.query(**{PAGE_VAR: None})
        return reverse("schedules-slot") + (f"{query}&" if query else "?")


# --- the change history --------------------------------------------------------------------------


class ChangeListState(ListState):
    """The change history (and its CSV): agent, group, kind and date filters, and the page."""

    filterset_class = AgentChangeFilter
    display_form_class = PageForm

    @property
    def filter_fields(self) -> list[tuple[str, str]]:
        """The hidden filters in force ("since your last visit"), kept when filtering."""
        form = self.filterset.form
        return [
            (name, value)
            for name in self.filter_names
            if form.fields[name].widget.is_hidden
            for value in self._values.get(name, ())
        ]

    def __init__(self, params: QueryDict, *, path: str | None = None):
        super().__init__(params, path=path or reverse("change-list"))

    def base_queryset(self):
        return AgentChange.objects.all()

    @cached_property
    def filters(self) -> changes_service.ChangeFilters:
        return self.filterset.values

    # --- links ---------------------------------------------------------------------------------

    @property
    def export_url(self) -> str:
        return reverse("change-export") + self.query(**{PAGE_VAR: None})


# --- CAD jobs ------------------------------------------------------------------------------------


class CadJobListState(ListState):
    """The CAD audit log: who, which action, when (`filters.CadJobFilter`), and the page."""

    filterset_class = CadJobFilter
    display_form_class = PageForm

    def __init__(self, params: QueryDict):
        super().__init__(params, path=reverse("cad-job-list"))

    def base_queryset(self):
        # The jobs that touched the user's team: the filters narrow these.
        return cad_jobs_in_scope(
            CadJob.objects.select_related("created_by").order_by("-created_at")
        )


class CadResultListState(ListState):
    """One job's per-agent results: by outcome, and the page."""

    filterset_class = CadResultFilter
    display_form_class = PageForm

    def __init__(self, params: QueryDict, *, job: CadJob):
        super().__init__(params, path=reverse("cad-job-detail", args=[job.public_id]))

    @property
    def outcome(self) -> str:
        return self._values.get("outcome", [""])[0]

    def outcome_links(self) -> list[tuple[str, str, str]]:
        """(value, label, url) for "All" and each outcome."""
        links = [("", "All", self.url(outcome=None, page=None))]
        for value, label in CadResult.Outcome.choices:
            links.append((value, label, self.url(outcome=value, page=None)))
        return links


# --- the CSV export audit trail ------------------------------------------------------------------


class CsvExportListState(ListState):
    """Who exported what: by user, export and dates (`filters.CsvExportFilter`), and the page."""

    filterset_class = CsvExportFilter
    display_form_class = PageForm

    def __init__(self, params: QueryDict):
        super().__init__(params, path=reverse("csv-export-list"))

    def base_queryset(self):
        # A scoped admin sees the exports made within their scope only: the filters of the
        # others may name agents outside it.
        return csv_exports_in_scope()


# --- staffing targets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetState:
    """The staffing targets pages' query string, `?group=<id>&slot=<minutes>`: one group's (or,
    with no group, the overall) targets in slots of an hour or half an hour. A group that is
    not known, or a slot size that is not offered, falls back with a notice. Links always name
    the slot size, so a bookmark keeps it."""

    group_id: str  # "" for the overall targets
    slot_minutes: int
    notices: tuple[str, ...] = ()
    asked_group_id: str = ""  # the group the query named ("" for none)

    @classmethod
    def from_query(
        cls, params: QueryDict, *, group_choices: list[tuple[str, str]], overall: bool = True
    ) -> TargetState:
        form = TargetScopeForm(params, group_choices=group_choices, overall=overall)
        form.is_valid()
        group_id, slot_minutes, notices = form.scope()
        return cls(
            group_id=group_id,
            slot_minutes=slot_minutes,
            notices=tuple(notices),
            asked_group_id=params.get("group", "").strip(),
        )

    @property
    def group_refused(self) -> bool:
        """Whether the group asked for is not the one shown: unknown, outside the team scope,
        or (within a scope) none, the overall targets. A page falls back to another group's
        grid with a notice; a change must be refused, or it would be saved to that group."""
        return self.asked_group_id != self.group_id

    @property
    def query(self) -> str:
        """The state without "?": `group=…&slot=…` (no group for the overall targets)."""
        group = [("group", self.group_id)] if self.group_id else []
        return urlencode_with([*group, ("slot", self.slot_minutes)], quote_via=quote)

    def url(self, name: str = "schedules-targets") -> str:
        """The page (or form action) `name` with this state."""
        return f"{reverse(name)}?{self.query}"


class UserListState(ListState):
    """The users page: username, role and status filters, and the page."""

    filterset_class = UserFilter
    display_form_class = PageForm

    def __init__(self, params: QueryDict):
        super().__init__(params, path=reverse("user-list"))

    @cached_property
    def filters(self) -> user_accounts.UserFilters:
        return self.filterset.values


class SignInListState(ListState):
    """The sign-in record: user, event, method and date filters, and the page."""

    filterset_class = SignInFilter
    display_form_class = PageForm

    def __init__(self, params: QueryDict):
        super().__init__(params, path=reverse("sign-in-list"))

    @cached_property
    def filters(self) -> sign_in_record.SignInFilters:
        return self.filterset.values
