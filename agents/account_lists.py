"""The users page's and the sign-in record's lists: their filters (django-filter) and list
states, built on `agents.liststate.ListState` as the change history's are."""

from __future__ import annotations

from functools import cached_property

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.urls import reverse

from agents.filters import DATE_ATTRS, SEARCH_MAX_LENGTH, SELECT_ATTRS
from agents.liststate import ListState, PageForm
from agents.models import SignInEvent
from agents.roles import ROLE_PERMISSIONS
from agents.services import sign_in_record, user_accounts
from agents.services.agent_queries import group_label
from agents.services.team_scopes import groups_in_scope

SEARCH_ATTRS = {
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
        label="Username", max_length=SEARCH_MAX_LENGTH, widget=forms.TextInput(attrs=SEARCH_ATTRS)
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
        label="User", max_length=SEARCH_MAX_LENGTH, widget=forms.TextInput(attrs=SEARCH_ATTRS)
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
