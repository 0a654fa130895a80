"""The directory's filters: the FilterSet that reads and validates an agent list's query string.

It parses; `services.agent_queries.agents_matching` filters. The web layer's list state
(`agents.liststate`) binds it to `request.GET` and turns its cleaned data into the service's
`AgentFilters`. Invalid values are dropped by the form (and reported by the list state).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from agents import working_hours
from agents.models import Agent, AgentChange, CadJob, CadResult, CsvExport, Group, SignInEvent
from agents.roles import ROLE_PERMISSIONS
from agents.services import sign_in_record, user_accounts
from agents.services.agent_changes import CHANGE_KIND_ANY_FIELD, ChangeFilters, changes_matching
from agents.services.agent_queries import (
    CAD_OFF,
    CAD_ON,
    CAD_UNKNOWN,
    AgentFilters,
    agents_matching,
    distinct_agent_values,
    group_label,
)
from agents.services.team_scopes import cad_jobs_in_scope, csv_exports_in_scope, groups_in_scope

# The agent lists' query-string keys that select agents.
SEARCH_VAR = "q"
GROUP_VAR = "group"
STATUS_VAR = "status"
DEST_TYPE_VAR = "dest_type"
ROLE_VAR = "role"
DAY_VAR = "day"
ON_SHIFT_VAR = "on_shift"
CAD_VAR = "cad"
DELETION_VAR = "deletion"

STATUS_ACTIVE = "active"
STATUS_INACTIVE = "inactive"
STATUS_CHOICES = [(STATUS_ACTIVE, "Active"), (STATUS_INACTIVE, "Inactive")]
ON_SHIFT_YES = "yes"
ON_SHIFT_CHOICES = [(ON_SHIFT_YES, "On shift now")]
# What the CAD ledger says: as set here, never DeepCall's own state (it does not tell).
CAD_CHOICES = [
    (CAD_ON, "On, as set here"),
    (CAD_OFF, "Off, as set here"),
    (CAD_UNKNOWN, "Not set here"),
]
DELETION_PENDING = "pending"
DELETION_CHOICES = [(DELETION_PENDING, "Pending deletion")]
SELECT_ATTRS = {"class": "form-select form-select-sm"}
# Longer search text is refused: nobody types 200 characters, and LIKE patterns stay cheap.
SEARCH_MAX_LENGTH = 200


DATE_ATTRS = {"type": "date", "class": "form-control form-control-sm"}


def date_from_filter(field_name: str) -> django_filters.DateFilter:
    """ "From" a day (included) of a date-time field, as a date picker."""
    return django_filters.DateFilter(
        field_name=field_name,
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs=DATE_ATTRS),
    )


def date_to_filter(field_name: str) -> django_filters.DateFilter:
    """ "To" a day (included) of a date-time field, as a date picker."""
    return django_filters.DateFilter(
        field_name=field_name,
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs=DATE_ATTRS),
    )


def users_among(user_pks: QuerySet) -> QuerySet:
    """The users whose primary keys `user_pks` (a values() subquery) holds, by username: the
    choices of a "who" filter lists only people who did the thing."""
    return get_user_model().objects.filter(pk__in=user_pks).order_by("username")


def _group_choices(request=None) -> QuerySet[Group]:
    """The groups a group filter offers: those of the team scope in force (a group outside it
    is refused as an unknown choice). django-filter calls it with the request, when it has one."""
    return groups_in_scope(Group.objects.order_by("name", "group_id"))


class GroupChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return group_label(obj)


class GroupFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = GroupChoiceField


def dest_type_choices() -> list[tuple[str, str]]:
    return [(v, v) for v in distinct_agent_values("dest_type")]


def role_choices() -> list[tuple[str, str]]:
    return [(v, v) for v in distinct_agent_values("role_name")]


class AgentFilter(django_filters.FilterSet):
    """Free text, groups (any of), status, destination type, role, working day, on shift now,
    CAD as set here (the ledger), pending deletion.

    The field names are the query-string keys. Filtering itself is the service's: `values`
    gives the validated filters as `AgentFilters`, and `qs` applies them.
    """

    q = django_filters.CharFilter(
        label="Search",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control form-control-sm",
                "placeholder": "Name, email, phone or id",
                "autocomplete": "off",
            }
        ),
    )
    group = GroupFilter(
        queryset=_group_choices,
        to_field_name="group_id",
        label="Groups",
        widget=forms.SelectMultiple(attrs={**SELECT_ATTRS, "size": 3}),
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES,
        label="Status",
        empty_label="Any status",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    dest_type = django_filters.ChoiceFilter(
        choices=dest_type_choices,
        label="Destination",
        empty_label="Any destination",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    role = django_filters.ChoiceFilter(
        choices=role_choices,
        label="Role",
        empty_label="Any role",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    day = django_filters.ChoiceFilter(
        choices=working_hours.WEEKDAY_CHOICES,
        label="Works on",
        empty_label="Any day",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    on_shift = django_filters.ChoiceFilter(
        choices=ON_SHIFT_CHOICES,
        label="Shift",
        empty_label="Anyone",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    cad = django_filters.ChoiceFilter(
        choices=CAD_CHOICES,
        label="CAD",
        empty_label="Any CAD state",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    deletion = django_filters.ChoiceFilter(
        choices=DELETION_CHOICES,
        label="Deletion",
        empty_label="Any agent",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )

    class Meta:
        model = Agent
        fields: list[str] = []

    @property
    def values(self) -> AgentFilters:
        """The filters that parsed; an invalid value counts as not given."""
        self.is_valid()
        data = self.form.cleaned_data
        day = data.get(DAY_VAR)
        status = data.get(STATUS_VAR)
        return AgentFilters(
            text=data.get(SEARCH_VAR) or "",
            group_pks=tuple(sorted(g.pk for g in data.get(GROUP_VAR) or ())),
            active=None if not status else status == STATUS_ACTIVE,
            dest_type=data.get(DEST_TYPE_VAR) or "",
            role=data.get(ROLE_VAR) or "",
            weekday=None if day in (None, "") else int(day),
            on_shift=data.get(ON_SHIFT_VAR) == ON_SHIFT_YES,
            cad=data.get(CAD_VAR) or "",
            pending_deletion=data.get(DELETION_VAR) == DELETION_PENDING,
        )

    def filter_queryset(self, queryset: QuerySet[Agent]) -> QuerySet[Agent]:
        return agents_matching(self.values, agents=queryset)

    @property
    def description(self) -> str:
        """The valid filters in words, e.g. 'group Sales (#3), active, text “ann”'."""
        self.is_valid()
        data = self.form.cleaned_data
        parts: list[str] = []
        groups = data.get(GROUP_VAR)
        if groups:
            word = "group" if len(groups) == 1 else "groups"
            parts.append(f"{word} {', '.join(group_label(g) for g in groups)}")
        if data.get(STATUS_VAR):
            parts.append("active" if data[STATUS_VAR] == STATUS_ACTIVE else "inactive")
        if data.get(DEST_TYPE_VAR):
            parts.append(f"destination {data[DEST_TYPE_VAR]}")
        if data.get(ROLE_VAR):
            parts.append(f"role {data[ROLE_VAR]}")
        if data.get(DAY_VAR) not in (None, ""):
            parts.append(f"works on {working_hours.WEEKDAY_NAMES[int(data[DAY_VAR])]}")
        if data.get(ON_SHIFT_VAR):
            parts.append("on shift now")
        if data.get(CAD_VAR):
            parts.append(f"CAD {dict(CAD_CHOICES)[data[CAD_VAR]].lower()}")
        if data.get(DELETION_VAR):
            parts.append("pending deletion")
        if data.get(SEARCH_VAR):
            parts.append(f"text “{data[SEARCH_VAR]}”")
        return ", ".join(parts) if parts else "all agents"


# --- The CAD audit log ---------------------------------------------------------------------------


class CadJobFilter(django_filters.FilterSet):
    """Who, which action, and when: the audit page's filters (invalid values are ignored)."""

    created_by = django_filters.ModelChoiceFilter(
        # Who started the jobs the user may see (within a team scope, those touching it).
        queryset=lambda request: users_among(
            cad_jobs_in_scope(CadJob.objects.all()).values("created_by")
        ),
        label="Started by",
        empty_label="Anyone",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    action = django_filters.ChoiceFilter(
        choices=CadJob.Action.choices,
        label="Action",
        empty_label="Any action",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    created_from = date_from_filter("created_at")
    created_to = date_to_filter("created_at")

    class Meta:
        model = CadJob
        fields: list[str] = []


class CadResultFilter(django_filters.FilterSet):
    """One job's results by outcome (an unknown outcome shows them all)."""

    outcome = django_filters.ChoiceFilter(choices=CadResult.Outcome.choices)

    class Meta:
        model = CadResult
        fields: list[str] = []


# --- The change history --------------------------------------------------------------------------


def change_kind_choices() -> list[tuple[str, str]]:
    """Added, removed, any changed field, each field, first load: the "Change" filter."""
    kinds = AgentChange.Kind
    return [
        (kinds.ADDED, "Added"),
        (kinds.REMOVED, "Removed"),
        (CHANGE_KIND_ANY_FIELD, "Any field changed"),
        *((value, f"{label} changed") for value, label in AgentChange.Field.choices),
        (kinds.FIRST_LOAD, "First load"),
    ]


class ChangeGroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return group_label(obj)


class ChangeGroupFilter(django_filters.ModelChoiceFilter):
    field_class = ChangeGroupChoiceField


class AgentChangeFilter(django_filters.FilterSet):
    """Agent (name or id), group, kind of change and date range: the change history's filters.

    The field names are the query-string keys. Filtering is the service's: `values` gives the
    validated filters as `ChangeFilters`, and `qs` applies them.
    """

    agent = django_filters.CharFilter(
        label="Agent",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control form-control-sm",
                "placeholder": "Name or id",
                "autocomplete": "off",
            }
        ),
    )
    group = ChangeGroupFilter(
        queryset=_group_choices,
        to_field_name="group_id",
        label="Group",
        empty_label="Any group",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    kind = django_filters.ChoiceFilter(
        choices=change_kind_choices,
        label="Change",
        empty_label="Any change",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    date_from = django_filters.DateFilter(label="From", widget=forms.DateInput(attrs=DATE_ATTRS))
    date_to = django_filters.DateFilter(label="To", widget=forms.DateInput(attrs=DATE_ATTRS))
    # "Since your last visit" (the home page's link): an instant, not a day; no form control.
    after = django_filters.IsoDateTimeFilter(label="After", widget=forms.HiddenInput)

    class Meta:
        model = AgentChange
        fields: list[str] = []

    @property
    def values(self) -> ChangeFilters:
        """The filters that parsed; an invalid value counts as not given."""
        self.is_valid()
        data = self.form.cleaned_data
        group = data.get("group")
        return ChangeFilters(
            agent=(data.get("agent") or "").strip(),
            group_id=group.group_id if group is not None else "",
            kind=data.get("kind") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            after=data.get("after"),
        )

    def filter_queryset(self, queryset: QuerySet[AgentChange]) -> QuerySet[AgentChange]:
        return changes_matching(self.values, changes=queryset)


# --- The CSV export audit trail ------------------------------------------------------------------


def export_path_choices() -> list[tuple[str, str]]:
    """The exports that were made (within the team scope in force), by their path."""
    paths = csv_exports_in_scope().order_by("path").values_list("path", flat=True).distinct()
    return [(path, path) for path in paths]


class CsvExportFilter(django_filters.FilterSet):
    """Who, which export, and when: the audit trail's filters (invalid values are ignored)."""

    user = django_filters.ModelChoiceFilter(
        queryset=lambda request: users_among(csv_exports_in_scope().values("user")),
        label="Who",
        empty_label="Anyone",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    export = django_filters.ChoiceFilter(
        field_name="path",
        choices=export_path_choices,
        label="Export",
        empty_label="Any export",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    started_from = date_from_filter("started_at")
    started_to = date_to_filter("started_at")

    class Meta:
        model = CsvExport
        fields: list[str] = []


# --- The users page and the sign-in record ---------------------------------------------------


USERNAME_SEARCH_ATTRS = {
    "type": "search",
    "class": "form-control form-control-sm",
    "placeholder": "Username",
    "autocomplete": "off",
}


def _role_choices():
    return [*((role, role) for role in ROLE_PERMISSIONS), (user_accounts.NO_ROLE, "No role")]


def _scope_choices():
    groups = [(g.group_id, group_label(g)) for g in groups_in_scope()]
    return [(user_accounts.WHOLE_ACCOUNT_SCOPE, "Whole account"), *groups]


class UserFilter(django_filters.FilterSet):
    """Username, role and status: the users page's filters (parsing only; the service
    filters, from `values`)."""

    q = django_filters.CharFilter(
        label="Username",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs=USERNAME_SEARCH_ATTRS),
    )
    role = django_filters.ChoiceFilter(
        choices=_role_choices,
        label="Role",
        empty_label="Any role",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    status = django_filters.ChoiceFilter(
        choices=[("active", "Active"), ("disabled", "Disabled")],
        label="Status",
        empty_label="Active or disabled",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    group = django_filters.ChoiceFilter(
        choices=_scope_choices,
        label="Team scope",
        empty_label="Any scope",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )

    class Meta:
        model = get_user_model()
        fields: list[str] = []

    @property
    def values(self) -> user_accounts.UserFilters:
        """The filters that parsed; an invalid value counts as not given."""
        self.is_valid()
        data = self.form.cleaned_data
        return user_accounts.UserFilters(
            role=data.get("role") or "",
            status=data.get("status") or "",
            search=(data.get("q") or "").strip(),
            scope_group=data.get("group") or "",
        )


class SignInFilter(django_filters.FilterSet):
    """Username, kind of event, method and dates: the sign-in record's filters."""

    user = django_filters.CharFilter(
        label="User",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs=USERNAME_SEARCH_ATTRS),
    )
    kind = django_filters.ChoiceFilter(
        choices=SignInEvent.Kind.choices,
        label="Event",
        empty_label="Any event",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    method = django_filters.ChoiceFilter(
        choices=SignInEvent.Method.choices,
        label="Method",
        empty_label="Any method",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    date_from = django_filters.DateFilter(label="From", widget=forms.DateInput(attrs=DATE_ATTRS))
    date_to = django_filters.DateFilter(label="To", widget=forms.DateInput(attrs=DATE_ATTRS))

    class Meta:
        model = SignInEvent
        fields: list[str] = []

    @property
    def values(self) -> sign_in_record.SignInFilters:
        """The filters that parsed; an invalid value counts as not given."""
        self.is_valid()
        data = self.form.cleaned_data
        return sign_in_record.SignInFilters(
            username=(data.get("user") or "").strip(),
            kind=data.get("kind") or "",
            method=data.get("method") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
