"""Your account: changing your own password, signing out of every other session."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.fixtures.sandbox import sso_sign_in
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a much longer passphrase 2026"


def signed_in_client(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_account_page_counts_the_other_sessions(supervisor_user):
    laptop, phone = signed_in_client(supervisor_user), signed_in_client(supervisor_user)
    page = laptop.get(reverse("account")).content.decode()
    assert "also signed in 1 other time" in page
    assert phone.get("/agents/").status_code == 200


def test_signing_out_of_every_other_session_keeps_this_one(supervisor_user):
    laptop = signed_in_client(supervisor_user)
    phone, tablet = signed_in_client(supervisor_user), signed_in_client(supervisor_user)
    response = laptop.post(reverse("sessions-end-others"), follow=True)
    assert "Signed out of 2 other sessions." in response.content.decode()
    assert laptop.get("/agents/").status_code == 200
    for other in (phone, tablet):
        gone = other.get("/agents/")
        assert gone.status_code == 302
        assert gone["Location"].startswith(reverse("login"))
    assert "This is your only session." in laptop.get(reverse("account")).content.decode()


def test_a_user_changes_their_own_password_and_other_sessions_end(supervisor_user):
    laptop, phone = signed_in_client(supervisor_user), signed_in_client(supervisor_user)
    wrong = laptop.post(
        reverse("password-change"),
        {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    response = laptop.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("account")
    assert laptop.get("/agents/").status_code == 200
    assert phone.get("/agents/").status_code == 302
    supervisor_user.refresh_from_db()
    assert supervisor_user.check_password(NEW_PASSWORD)


def test_a_short_new_password_is_refused(supervisor_client):
    response = supervisor_client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": "short1!", "new_password2": "short1!"},
    )
    assert "at least 12 characters" in response.content.decode()


def test_single_sign_on_users_have_no_password_to_change(client, sso_settings):
    sso_sign_in(client, "sso-manager")
    response = client.get(reverse("password-change"), follow=True)
    assert "managed by your identity provider" in response.content.decode()
    assert 'name="old_password"' not in response.content.decode()
