"""Signing in, in a real browser: single sign-on through the sandbox's OpenID provider for
each role, the role following the provider's groups, refused sign-ins; two-factor enrolment
and sign-in with a code or a recovery code; the idle timeout firing on a polling page."""

import re
import time
from importlib import import_module

import pytest
from django.conf import settings
from playwright.sync_api import expect

from agents.middleware import SEEN_KEY
from agents.models import UserSession
from agents.roles import ADMIN, MANAGER, SUPERVISOR
from tests.fixtures.browser import assert_accessible, login, screenshot
from tests.fixtures.users import PASSWORD, current_code, enrol_second_factor, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROVIDER = "Sign in with the sandbox's identity provider"
NAMES = {
    "sso-supervisor": "Sunita Supervisor",
    "sso-manager": "Manoj Manager",
    "sso-admin": "Aditi Admin",
    "sso-contractor": "Chris Contractor",
}


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """The role groups, as the migration makes them (live-server tests flush them)."""
    from django.contrib.auth.models import Group, Permission

    from agents.roles import sync_role_groups

    sync_role_groups(Group, Permission)


def sso_sign_in(page, username: str) -> None:
    """From the login page to the provider, and back as `username`."""
    page.goto("/accounts/login/")
    page.get_by_role("link", name=PROVIDER).click()
    page.get_by_role("button", name=f"Continue as {NAMES[username]}").click()


@pytest.mark.parametrize(
    ("username", "role", "sees_cad"),
    [
        ("sso-supervisor", SUPERVISOR, False),
        ("sso-manager", MANAGER, True),
        ("sso-admin", ADMIN, True),
    ],
)
def test_single_sign_on_round_trip_for_each_role(
    page, live_server, sso_settings, username, role, sees_cad
):
    page.goto("/accounts/login/")
    expect(page.get_by_role("link", name=PROVIDER)).to_be_visible()
    assert_accessible(page)
    sso_sign_in(page, username)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("button", name=f"{username} · {role}")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="CAD jobs")).to_have_count(1 if sees_cad else 0)


def test_the_role_follows_the_providers_groups_at_the_next_sign_in(page, sso_settings):
    sso_sign_in(page, "sso-admin")
    expect(page.get_by_role("button", name="sso-admin · Admin")).to_be_visible()
    page.get_by_role("button", name="sso-admin · Admin").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    sso_settings.identity.set_groups("sso-admin", ["team-leads"])
    sso_sign_in(page, "sso-admin")
    expect(page.get_by_role("button", name="sso-admin · Supervisor")).to_be_visible()
    page.goto("/cad/")
    expect(page.locator("body")).to_contain_text("403")


def test_no_mapped_role_is_a_clear_refusal(page, sso_settings):
    sso_sign_in(page, "sso-contractor")
    expect(page.get_by_role("heading", name="You are not signed in")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("no role in this dashboard")
    assert_accessible(page)
    screenshot(page, "sso-refused")


def test_a_tampered_state_is_refused(page, sso_settings):
    page.goto("/accounts/login/")
    page.get_by_role("link", name=PROVIDER).click()
    page.locator('input[name="state"]').evaluate("input => { input.value = 'forged' }")
    page.get_by_role("button", name="Continue as Aditi Admin").click()
    expect(page.get_by_role("alert")).to_contain_text("not started from this browser")
    page.goto("/")
    assert "/accounts/login/" in page.url


@pytest.mark.parametrize("fault", ["expired", "wrong_key"])
def test_an_expired_or_wrongly_signed_id_token_is_refused(page, sso_settings, fault):
    sso_settings.identity.id_token_fault(fault)
    sso_sign_in(page, "sso-admin")
    expect(page.get_by_role("alert")).to_contain_text("could not be verified")
    page.goto("/")
    assert "/accounts/login/" in page.url


def password_step(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_admin_enrols_an_authenticator_before_anything_else(page, django_user_model):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user(django_user_model, "new.admin", ADMIN)
    password_step(page, user)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page)
    page.goto("/agents/")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    # The key shown is the one the QR code carries: an app fed it makes the device's codes.
    shown = page.locator("[data-totp-secret]").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert shown in device.config_url
    page.get_by_label("Code from the app").fill(current_code(device))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is set up")).to_be_visible()
    expect(page.locator("[data-recovery-code]")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("button", name="new.admin · Admin")).to_be_visible()


def test_sign_in_with_a_code_then_with_a_recovery_code(page, supervisor_user):
    device = enrol_second_factor(supervisor_user, recovery_codes=("k3ejlrl3aa",))
    password_step(page, supervisor_user)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#id_code").locator("xpath=..")).to_contain_text("not right")
    page.get_by_label("Code").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="sam.supervisor · Supervisor")).to_be_visible()
    page.context.clear_cookies()
    password_step(page, supervisor_user)
    page.get_by_label("Code").fill("k3ejlrl3aa")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="sam.supervisor · Supervisor")).to_be_visible()


def _age_session(user, *, seen_ago: int) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in UserSession.objects.filter(user=user).values_list("session_key", flat=True):
        session = store(session_key=key)
        session[SEEN_KEY] = int(time.time()) - seen_ago
        session.save()


def _seen(user) -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    key = UserSession.objects.get(user=user).session_key
    return store(session_key=key)[SEEN_KEY]


def test_the_idle_timeout_fires_on_a_polling_page(page, supervisor_user):
    """The home page polls every 2 s before the first sync: its polls are marked as
    background and do not restart the idle clock, so an unattended tab is signed out."""
    login(page, supervisor_user)
    page.goto("/")
    idle = settings.SESSION_IDLE_MINUTES * 60
    # Nearly idle: the polls that follow must not count as activity.
    _age_session(supervisor_user, seen_ago=idle - 90)
    seen = _seen(supervisor_user)
    for _ in range(2):
        with page.expect_request(lambda r: "x-background-poll" in r.headers) as poll:
            pass
        assert poll.value.headers["x-background-poll"] == "1"
        poll.value.response()
    assert _seen(supervisor_user) == seen
    # Now past the idle limit: the next poll signs the tab out and shows why.
    _age_session(supervisor_user, seen_ago=idle + 1)
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("alert")).to_contain_text(
        f"You were logged out after {settings.SESSION_IDLE_MINUTES} minutes without activity."
    )
