"""Two-factor sign-in for local accounts, through the real log-in form."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from agents.roles import ADMIN
from tests.fixtures.sandbox import sso_sign_in
from tests.fixtures.users import PASSWORD, current_code, enrol_second_factor, make_user

pytestmark = pytest.mark.django_db

RECOVERY = ("aaaa2222bb", "cccc3333dd")


def log_in(client, user, **extra):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **extra)


def test_an_admin_without_an_authenticator_must_enrol_before_anything_else(
    client, django_user_model
):
    admin_user = make_user(django_user_model, "new.admin", ADMIN)
    response = log_in(client, admin_user)
    assert response["Location"].startswith(reverse("two-factor-enrol"))
    for url in ("/", "/agents/", "/cad/", "/exports/"):
        blocked = client.get(url)
        assert blocked.status_code == 302, url
        assert blocked["Location"] == reverse("two-factor-enrol"), url
    htmx = client.get("/agents/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == reverse("two-factor-enrol")

    page = client.get(reverse("two-factor-enrol")).content.decode()
    assert "<svg" in page and 'aria-label="QR code for your authenticator app"' in page
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    wrong = client.post(reverse("two-factor-enrol"), {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    done = client.post(reverse("two-factor-enrol"), {"code": current_code(device), "next": "/"})
    codes = re.findall(r"data-recovery-code>([a-z0-9]+)<", done.content.decode())
    assert len(codes) == 10
    assert client.get("/").status_code == 200


def test_an_enrolled_user_gives_a_code_after_the_password(client, supervisor_user):
    device = enrol_second_factor(supervisor_user)
    response = log_in(client, supervisor_user)
    assert response["Location"].startswith(reverse("two-factor-verify"))
    assert client.get("/agents/")["Location"] == reverse("two-factor-verify")
    wrong = client.post(reverse("two-factor-verify"), {"code": "123456"})
    assert "That code is not right" in wrong.content.decode()
    right = client.post(reverse("two-factor-verify"), {"code": current_code(device)})
    assert right["Location"] == reverse("home")
    assert client.get("/agents/").status_code == 200


def test_a_recovery_code_signs_in_once(client, supervisor_user):
    enrol_second_factor(supervisor_user, recovery_codes=RECOVERY)
    log_in(client, supervisor_user)
    response = client.post(reverse("two-factor-verify"), {"code": "AAAA 2222 BB"})
    assert response["Location"] == reverse("home")
    client.post(reverse("logout"))
    log_in(client, supervisor_user)
    again = client.post(reverse("two-factor-verify"), {"code": RECOVERY[0]})
    assert again.status_code == 200
    assert "That code is not right" in again.content.decode()


def test_wrong_codes_count_toward_the_password_lockout(client, supervisor_user):
    device = enrol_second_factor(supervisor_user)
    log_in(client, supervisor_user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("two-factor-verify"), {"code": "000000"})
    response = client.post(reverse("two-factor-verify"), {"code": "000000"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Locked: the right password and code do not open it now.
    assert log_in(client, supervisor_user).status_code == 429
    assert client.get("/agents/").status_code == 302
    assert device.user == supervisor_user


def test_a_role_that_needs_no_second_factor_is_not_asked(client, supervisor_user):
    response = log_in(client, supervisor_user)
    assert response["Location"] == reverse("home")
    assert client.get("/agents/").status_code == 200


def test_the_roles_that_need_a_second_factor_are_configurable(client, settings, manager_user):
    settings.REQUIRE_2FA_ROLES = ["Manager"]
    assert log_in(client, manager_user)["Location"].startswith(reverse("two-factor-enrol"))


def test_the_admin_fixture_is_enrolled_and_asked_for_its_code(client, admin_user):
    assert log_in(client, admin_user)["Location"].startswith(reverse("two-factor-verify"))


def test_single_sign_on_admins_are_not_asked_for_a_code(client, sso_settings):
    response = sso_sign_in(client, "sso-admin")
    assert response["Location"] == reverse("home")
    assert client.get("/cad/").status_code == 200


def test_the_admin_site_signs_in_through_the_dashboard(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == reverse("login") + "?next=/admin/"
