"""The users page: each user's role, how they sign in and when they last did; disabling."""

import pytest
from django.test import Client
from django.urls import reverse

from agents.roles import MANAGER
from tests.fixtures.sandbox import sso_sign_in
from tests.fixtures.users import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def usernames(response) -> list[str]:
    import re

    return re.findall(r'data-username="([^"]+)"', response.content.decode())


def test_admins_see_every_user_with_role_and_sign_in_method(
    admin_client, supervisor_user, manager_user, nobody_user
):
    page = admin_client.get(reverse("user-list"))
    assert usernames(page) == ["ada.admin", "maya.manager", "nora.norole", "sam.supervisor"]
    text = page.content.decode()
    assert "Password and code" in text  # the admin's authenticator
    assert "No role" in text


def test_the_list_filters_by_role_status_and_name(admin_client, supervisor_user, manager_user):
    make_user(supervisor_user.__class__, "mo.manager", MANAGER)
    assert usernames(admin_client.get(reverse("user-list") + "?role=Manager")) == [
        "maya.manager",
        "mo.manager",
    ]
    assert usernames(admin_client.get(reverse("user-list") + "?q=sam")) == ["sam.supervisor"]
    supervisor_user.is_active = False
    supervisor_user.save()
    assert usernames(admin_client.get(reverse("user-list") + "?status=disabled")) == [
        "sam.supervisor"
    ]


def test_a_bad_filter_value_is_a_notice_not_an_error(admin_client):
    response = admin_client.get(reverse("user-list") + "?role=Overlord&page=x")
    assert response.status_code == 200
    assert "showing page 1" in response.content.decode()


def test_disabling_a_user_ends_their_sessions_at_once(admin_client, supervisor_user):
    theirs = Client()
    theirs.post(reverse("login"), {"username": supervisor_user.username, "password": PASSWORD})
    assert theirs.get("/agents/").status_code == 200
    response = admin_client.post(reverse("user-disable", args=[supervisor_user.pk]), follow=True)
    assert "sam.supervisor is disabled; 1 session ended." in response.content.decode()
    gone = theirs.get("/agents/")
    assert gone.status_code == 302 and gone["Location"].startswith(reverse("login"))
    again = theirs.post(
        reverse("login"), {"username": supervisor_user.username, "password": PASSWORD}
    )
    assert again.status_code == 200  # the form again: a disabled account cannot sign in
    admin_client.post(reverse("user-enable", args=[supervisor_user.pk]))
    back = theirs.post(
        reverse("login"), {"username": supervisor_user.username, "password": PASSWORD}
    )
    assert back.status_code == 302


def test_a_disabled_single_sign_on_user_is_signed_out_and_refused(admin_client, sso_settings):
    from django.contrib.auth import get_user_model

    client = Client()
    sso_sign_in(client, "sso-supervisor")
    user = get_user_model().objects.get(username="sso-supervisor")
    admin_client.post(reverse("user-disable", args=[user.pk]))
    assert client.get("/agents/").status_code == 302
    assert sso_sign_in(client, "sso-supervisor").status_code == 403


def test_an_admin_cannot_disable_themselves(admin_client, admin_user):
    response = admin_client.post(reverse("user-disable", args=[admin_user.pk]), follow=True)
    assert "You cannot disable your own account." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_other_roles_may_not_see_or_disable_users(manager_client, supervisor_user):
    assert manager_client.get(reverse("user-list")).status_code == 403
    assert (
        manager_client.post(reverse("user-disable", args=[supervisor_user.pk])).status_code == 403
    )
    supervisor_user.refresh_from_db()
    assert supervisor_user.is_active


def test_a_disabled_single_sign_on_user_loses_even_an_unrecorded_session(sso_settings):
    """Sessions from before the sessions were recorded end too: a disabled account's session
    no longer finds its user."""
    from django.contrib.auth import get_user_model

    from agents.models import UserSession

    client = Client()
    sso_sign_in(client, "sso-manager")
    UserSession.objects.all().delete()
    get_user_model().objects.filter(username="sso-manager").update(is_active=False)
    assert client.get("/agents/").status_code == 302
