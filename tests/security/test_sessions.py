"""Sessions end after DJANGO_SESSION_IDLE_MINUTES idle or DJANGO_SESSION_MAX_HOURS in all."""

import time

import pytest
from django.conf import settings

from agents.middleware import SEEN_KEY, STARTED_KEY

pytestmark = pytest.mark.django_db


def age_session(client, *, started_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[STARTED_KEY] = now - started_ago
    session[SEEN_KEY] = now - seen_ago
    session.save()


def test_the_defaults_are_thirty_minutes_idle_and_twelve_hours_in_all():
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_MAX_HOURS == 12
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_a_session_idle_too_long_is_logged_out(supervisor_client):
    idle = settings.SESSION_IDLE_MINUTES * 60
    age_session(supervisor_client, started_ago=idle + 60, seen_ago=idle - 60)
    assert supervisor_client.get("/agents/").status_code == 200
    age_session(supervisor_client, started_ago=idle + 120, seen_ago=idle + 1)
    response = supervisor_client.get("/agents/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in supervisor_client.session
    page = supervisor_client.get(response["Location"]).content.decode()
    assert f"logged out after {settings.SESSION_IDLE_MINUTES} minutes without activity" in page


def test_a_busy_session_still_ends_at_its_absolute_lifetime(supervisor_client):
    age_session(supervisor_client, started_ago=settings.SESSION_MAX_HOURS * 3600 + 1, seen_ago=5)
    response = supervisor_client.get("/agents/")
    assert response.status_code == 302
    assert "_auth_user_id" not in supervisor_client.session


def test_an_expired_htmx_request_reloads_to_the_login_page(supervisor_client):
    age_session(supervisor_client, started_ago=7200, seen_ago=7200)
    response = supervisor_client.get(
        "/agents/?q=ann",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/agents/?q=ann"},
    )
    assert response["HX-Redirect"] == "/accounts/login/?next=/agents/%3Fq%3Dann"


def test_activity_keeps_a_session_alive(supervisor_client):
    idle = settings.SESSION_IDLE_MINUTES * 60
    age_session(supervisor_client, started_ago=idle * 2, seen_ago=idle - 5)
    assert supervisor_client.get("/agents/").status_code == 200
    # That request counted as activity: the idle clock restarted.
    assert int(time.time()) - supervisor_client.session[SEEN_KEY] < 60


POLL = {"HX-Request": "true", "X-Background-Poll": "1"}


def test_background_polls_do_not_keep_a_session_alive(supervisor_client):
    idle = settings.SESSION_IDLE_MINUTES * 60
    age_session(supervisor_client, started_ago=idle, seen_ago=idle - 120)
    seen = supervisor_client.session[SEEN_KEY]
    assert supervisor_client.get("/", headers=POLL).status_code == 200
    assert supervisor_client.get("/agents/", headers=POLL).status_code == 200
    assert supervisor_client.session[SEEN_KEY] == seen
    # And once the idle time is up, the next poll ends the session like any request.
    age_session(supervisor_client, started_ago=idle * 2, seen_ago=idle + 1)
    response = supervisor_client.get("/", headers={**POLL, "HX-Current-URL": "http://testserver/"})
    assert response["HX-Redirect"] == "/accounts/login/?next=/"
    assert "_auth_user_id" not in supervisor_client.session


@pytest.mark.parametrize("template", ["home.html", "cad/job_detail.html"])
def test_the_polling_pages_mark_their_polls_as_background(template):
    from pathlib import Path

    source = (Path(settings.BASE_DIR) / "templates" / template).read_text()
    poll = source.index('hx-trigger="every')
    assert """hx-headers='{"X-Background-Poll": "1"}'""" in source[poll - 300 : poll]
