"""The directory's filters: one FilterSet reads the query string, whatever page uses it.

The query-string keys are named constants (as Django admin's ChangeList does), so links, forms,
exports and the bulk-CAD "all matching" selection all speak the same names. Invalid values are
dropped by the form (and reported by the view), never raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import django_filters
from django import forms
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from agents import schedules
from agents.models import Agent, AgentChange, CadJob, Group

# The directory's query-string keys.
SEARCH_VAR = "q"
GROUP_VAR = "group"
STATUS_VAR = "status"
DEST_TYPE_VAR = "dest_type"
ROLE_VAR = "role"
DAY_VAR = "day"
ON_SHIFT_VAR = "on_shift"
SORT_VAR = "sort"
PAGE_VAR = "page"
PER_PAGE_VAR = "per_page"
# The keys that select agents (as opposed to how they are shown).
FILTER_VARS = (SEARCH_VAR, GROUP_VAR, STATUS_VAR, DEST_TYPE_VAR, ROLE_VAR, DAY_VAR, ON_SHIFT_VAR)

STATUS_ACTIVE = "active"
STATUS_INACTIVE = "inactive"
STATUS_CHOICES = [(STATUS_ACTIVE, "Active"), (STATUS_INACTIVE, "Inactive")]
ON_SHIFT_YES = "yes"
ON_SHIFT_CHOICES = [(ON_SHIFT_YES, "On shift now")]
SELECT_ATTRS = {"class": "form-select form-select-sm"}
# Longer search text is cut: nobody types 200 characters, and LIKE patterns stay cheap.
SEARCH_MAX_LENGTH = 200


def group_label(group: Group) -> str:
    return f"{group.name} (#{group.group_id})"


class GroupChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return group_label(obj)


class GroupFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = GroupChoiceField


# Choice lists and counts change only when a sync changes agents; between syncs every request
# of every process reuses them. A day is only an upper bound: the key changes with each sync.
CHOICES_CACHE_SECONDS = 24 * 3600


def read_model_version() -> int:
    """Changes whenever a sync changes the read model: the `data_version` of the latest
    successful SyncRun (0 before any).

    Cache keys that include it are invalidated in every process at once, whatever the cache
    (a per-process local memory cache in development, Redis when scaled out), because each
    process reads the version from the shared database (once per request: see `sync_status`).
    """
    from agents.services.sync import sync_status  # the services import this module

    return sync_status().read_model_version


_MISSING = object()
# An entry under a versioned key never changes, so each process also keeps those it has read:
# most requests then make no round trip to a shared cache for them. Bounded in time and size.
LOCAL_COPY_SECONDS = 300
LOCAL_COPY_LIMIT = 1000
_local_copies: dict[str, tuple[float, object]] = {}


def cached_per_sync[T](name: str, compute: Callable[[], T]) -> T:
    """`compute()`, worked out once per sync for every process and request (see above)."""
    key = f"agents:{name}:v{read_model_version()}"
    now = time.monotonic()
    held = _local_copies.get(key)
    if held is not None and held[0] > now:
        return held[1]
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, CHOICES_CACHE_SECONDS)
    if len(_local_copies) >= LOCAL_COPY_LIMIT:
        _local_copies.clear()
    _local_copies[key] = (now + LOCAL_COPY_SECONDS, value)
    return value


# A rendered filter form is kept no longer than this: its key changes with each sync that
# changes agents, and the limit bounds how long a deploy's new markup waits.
FILTER_FORM_CACHE_SECONDS = 10 * 60


def filter_form_cache_key(path: str, query: QueryDict) -> str:
    """All a rendered filter form depends on: the page, its query string (the values shown,
    the page size, the slot size) and the choices offered (the read model's version)."""
    return f"v{read_model_version()}|{path}|{query.urlencode()}"


def forget_local_copies() -> None:
    """Drop this process's copies (tests start each from an empty cache, as a new deploy)."""
    _local_copies.clear()


def _distinct_values(field: str) -> list[tuple[str, str]]:
    values = cached_per_sync(
        f"choices:{field}",
        lambda: tuple(
            Agent.objects.exclude(**{field: ""})
            .order_by(field)
            .values_list(field, flat=True)
            .distinct()
        ),
    )
    return [(v, v) for v in values]


def dest_type_choices() -> list[tuple[str, str]]:
    return _distinct_values("dest_type")


def role_choices() -> list[tuple[str, str]]:
    return _distinct_values("role_name")


class AgentFilter(django_filters.FilterSet):
    """Free text, groups (any of), status, destination type, role, working day, on shift now."""

    q = django_filters.CharFilter(
        method="filter_text",
        label="Search",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    group = GroupFilter(
        queryset=Group.objects.all(),
        to_field_name="group_id",
        method="filter_groups",
        label="Groups",
        widget=forms.SelectMultiple(attrs={**SELECT_ATTRS, "size": 3}),
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES,
        method="filter_status",
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
        field_name="role_name",
        label="Role",
        empty_label="Any role",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    day = django_filters.ChoiceFilter(
        choices=schedules.WEEKDAY_CHOICES,
        method="filter_day",
        label="Works on",
        empty_label="Any day",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    on_shift = django_filters.ChoiceFilter(
        choices=ON_SHIFT_CHOICES,
        method="filter_on_shift",
        label="Shift",
        empty_label="Anyone",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )

    class Meta:
        model = Agent
        fields: list[str] = []

    def filter_text(self, queryset: QuerySet[Agent], name: str, value: str) -> QuerySet[Agent]:
        # Every word must appear somewhere in name, email, phone or id (search_text is lower).
        for term in value.lower().split():
            queryset = queryset.filter(search_text__contains=term)
        return queryset

    def filter_groups(self, queryset: QuerySet[Agent], name: str, value) -> QuerySet[Agent]:
        if not value:
            return queryset
        links = Agent.groups.through.objects.filter(
            agent_id=OuterRef("pk"), group_id__in=[g.pk for g in value]
        )
        # EXISTS, not a join: an agent in two of the chosen groups is still one row.
        return queryset.filter(Exists(links))

    def filter_status(self, queryset: QuerySet[Agent], name: str, value: str) -> QuerySet[Agent]:
        return queryset.filter(is_active=value == STATUS_ACTIVE)

    def filter_day(self, queryset: QuerySet[Agent], name: str, value: str) -> QuerySet[Agent]:
        return queryset.filter(schedules.works_on_day_q(int(value)))

    def filter_on_shift(self, queryset: QuerySet[Agent], name: str, value: str) -> QuerySet[Agent]:
        if value != ON_SHIFT_YES:
            return queryset
        return queryset.filter(schedules.agent_on_shift_q(timezone.now()))


# --- The CAD audit log ---------------------------------------------------------------------------


class CadJobFilter(django_filters.FilterSet):
    """Who, which action, and when: the audit page's filters (invalid values are ignored)."""

    created_by = django_filters.ModelChoiceFilter(
        queryset=lambda request: _job_authors(),
        label="Started by",
        empty_label="Anyone",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    action = django_filters.ChoiceFilter(
        choices=[("enable", "Enable CAD"), ("disable", "Disable CAD")],
        label="Action",
        empty_label="Any action",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    created_from = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    created_to = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )

    class Meta:
        model = CadJob
        fields: list[str] = []


def _job_authors():
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(pk__in=CadJob.objects.values("created_by"))
        .order_by("username")
    )


# --- The change history --------------------------------------------------------------------------

CHANGE_KIND_ANY_FIELD = "changed"


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


def _change_groups():
    return Group.objects.order_by("name", "group_id")


class ChangeGroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return group_label(obj)


class ChangeGroupFilter(django_filters.ModelChoiceFilter):
    field_class = ChangeGroupChoiceField


class AgentChangeFilter(django_filters.FilterSet):
    """Agent (name or id), group, kind of change and date range: the change history's filters."""

    agent = django_filters.CharFilter(
        method="filter_agent",
        label="Agent",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control form-control-sm"}),
    )
    group = ChangeGroupFilter(
        queryset=lambda request: _change_groups(),
        to_field_name="group_id",
        method="filter_group",
        label="Group",
        empty_label="Any group",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    kind = django_filters.ChoiceFilter(
        choices=change_kind_choices,
        method="filter_kind",
        label="Change",
        empty_label="Any change",
        widget=forms.Select(attrs=SELECT_ATTRS),
    )
    date_from = django_filters.DateFilter(
        field_name="recorded_at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    date_to = django_filters.DateFilter(
        field_name="recorded_at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    # "Since your last visit" (the home page's link): an instant, not a day; no form control.
    after = django_filters.IsoDateTimeFilter(
        field_name="recorded_at", lookup_expr="gt", label="After", widget=forms.HiddenInput
    )

    class Meta:
        model = AgentChange
        fields: list[str] = []

    def filter_agent(self, queryset, name: str, value: str):
        value = value.strip()
        return queryset.filter(Q(agent_id=value) | Q(agent_name__icontains=value))

    def filter_group(self, queryset, name: str, value: Group | None):
        if value is None:
            return queryset
        sep = AgentChange.GROUP_KEY_SEPARATOR
        return queryset.filter(group_keys__contains=f"{sep}{value.group_id}{sep}")

    def filter_kind(self, queryset, name: str, value: str):
        if value == CHANGE_KIND_ANY_FIELD:
            return queryset.filter(kind=AgentChange.Kind.CHANGED)
        if value in AgentChange.Field.values:
            return queryset.filter(kind=AgentChange.Kind.CHANGED, field=value)
        return queryset.filter(kind=value)
