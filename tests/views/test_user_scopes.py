"""Team scopes on the users page and from the command line: each user's scope shown, the list
filtered by group, admins with the whole account changing a scope, every change recorded."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from agents.models import TeamScopeChange
from agents.roles import ADMIN
from agents.services.team_scopes import team_scope_of, team_scope_set
from agents.team_scope import WHOLE_ACCOUNT, TeamScope
from tests.fixtures.agents import make_agent
from tests.fixtures.users import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(db):
    make_agent(1, "North One", groups=["501"])
    make_agent(2, "South One", groups=["502"])
    return ["501", "502"]


def usernames(response) -> list[str]:
    return re.findall(r'data-username="([^"]+)"', response.content.decode())


def test_the_users_page_shows_each_scope_and_filters_by_group(
    admin_client, admin_user, supervisor_user, manager_user, groups
):
    team_scope_set(user=supervisor_user, scope=TeamScope.of_groups(["501"]), changed_by=admin_user)
    team_scope_set(user=manager_user, scope=TeamScope.of_groups(["501", "502"]))
    page = admin_client.get(reverse("user-list")).content.decode()
    assert "G501 (#501)" in page
    assert "G501 (#501), G502 (#502)" in page
    assert "Whole account" in page
    assert usernames(admin_client.get(reverse("user-list") + "?group=502")) == ["maya.manager"]
    assert usernames(admin_client.get(reverse("user-list") + "?group=501")) == [
        "maya.manager",
        "sam.supervisor",
    ]
    assert usernames(admin_client.get(reverse("user-list") + "?group=all")) == ["ada.admin"]


def test_an_admin_sets_a_scope_on_the_users_page_and_the_change_is_recorded(
    admin_client, admin_user, supervisor_user, groups
):
    url = reverse("user-scope", args=[supervisor_user.pk])
    response = admin_client.post(url, {"extent": "groups", "groups": ["502"]}, follow=True)
    assert "sam.supervisor now sees: G502 (#502)." in response.content.decode()
    assert team_scope_of(user=supervisor_user) == TeamScope.of_groups(["502"])
    admin_client.post(url, {"extent": "all"})
    assert team_scope_of(user=supervisor_user) == WHOLE_ACCOUNT
    changes = list(TeamScopeChange.objects.filter(user=supervisor_user).order_by("id"))
    assert [(c.changed_by, c.before, c.after) for c in changes] == [
        (admin_user, None, ["502"]),
        (admin_user, ["502"], None),
    ]
    history = admin_client.get(url).content.decode()
    assert history.count("ada.admin") >= 2 and "G502 (#502)" in history


def test_a_scope_of_no_group_is_refused_with_a_message(admin_client, supervisor_user, groups):
    response = admin_client.post(
        reverse("user-scope", args=[supervisor_user.pk]), {"extent": "groups"}
    )
    assert response.status_code == 200
    assert "Tick at least one group, or choose the whole account." in response.content.decode()
    assert not TeamScopeChange.objects.exists()


def test_a_scoped_admin_cannot_change_scopes_not_even_their_own(
    client, admin_user, django_user_model, groups
):
    from tests.fixtures.users import enrol_second_factor

    scoped = make_user(django_user_model, "abe.north", ADMIN)
    enrol_second_factor(scoped)
    team_scope_set(user=scoped, scope=TeamScope.of_groups(["501"]), changed_by=admin_user)
    client.force_login(scoped)
    own = reverse("user-scope", args=[scoped.pk])
    assert client.post(own, {"extent": "all"}).status_code == 403
    assert team_scope_of(user=scoped) == TeamScope.of_groups(["501"])
    assert "Change the team scope" not in client.get(reverse("user-list")).content.decode()


def test_the_command_sets_groups_and_the_whole_account_and_records_both(supervisor_user):
    out = StringIO()
    call_command("user_scope", "sam.supervisor", "--groups", "501,502", stdout=out, stderr=out)
    assert team_scope_of(user=supervisor_user) == TeamScope.of_groups(["501", "502"])
    assert "sam.supervisor: the whole account -> groups 501, 502 (recorded)." in out.getvalue()
    call_command("user_scope", "sam.supervisor", "--all", stdout=out)
    assert team_scope_of(user=supervisor_user) == WHOLE_ACCOUNT
    changes = TeamScopeChange.objects.order_by("id")
    assert [(c.changed_by_name, c.before, c.after) for c in changes] == [
        ("manage.py user_scope", None, ["501", "502"]),
        ("manage.py user_scope", ["501", "502"], None),
    ]


def test_the_command_refuses_an_unknown_user_and_an_empty_group_list(supervisor_user):
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("user_scope", "nobody", "--all")
    with pytest.raises(CommandError, match="at least one group id"):
        call_command("user_scope", "sam.supervisor", "--groups", " , ")
    assert not TeamScopeChange.objects.exists()
