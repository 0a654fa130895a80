import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import assert_accessible, login, screenshot
from tests.fixtures.users import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_anonymous_visitor_is_sent_to_the_login_page(page):
    page.goto("/")
    assert "/accounts/login/" in page.url
    assert page.get_by_role("heading", name="Log in to the DeepCall dashboard").is_visible()
    assert_accessible(page)


def test_supervisor_logs_in_and_sees_the_home_page_with_navigation(page, supervisor_user):
    login(page, supervisor_user)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Agents").is_visible()
    assert nav.get_by_role("link", name="Schedules").is_visible()
    # A supervisor runs no CAD jobs, so the link is not offered.
    assert nav.get_by_role("link", name="CAD jobs").count() == 0
    assert page.get_by_role("button", name=f"{supervisor_user.username} · Supervisor").is_visible()
    assert_accessible(page)
    screenshot(page, "home-supervisor")
    assert page.console_errors == []


def test_wrong_password_shows_a_clear_message(page, supervisor_user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(supervisor_user.username)
    page.get_by_label("Password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("alert").filter(has_text="correct username and password")
    ).to_be_visible()


def test_user_logs_out_from_the_user_menu(page, admin_user):
    login(page, admin_user)
    page.get_by_role("button", name=f"{admin_user.username} · Admin").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url
