"""Content from the API is untrusted: markup in an agent's fields shows as text, runs nothing."""

import csv
import io

import pytest
from django.utils import timezone

from agents.models import Agent, Group, WorkingWindow
from tests.fixtures.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT_NAME = "<script>window.__pwned = 1; alert('name')</script>"
IMG_EMAIL = '"><img src=x onerror="window.__pwned = 2">@evil.example'
GROUP_NAME = "<b onmouseover=alert(3)>Sales</b>"
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def hostile_agents():
    now = timezone.now()
    group = Group.objects.create(group_id="666", name=GROUP_NAME)
    scripted = Agent.objects.create(
        agent_id="9001",
        agent_id_sort=9001,
        name=SCRIPT_NAME,
        email=IMG_EMAIL,
        phone="+919000000001",
        address="<iframe src=javascript:alert(4)>",
        dest_type="MOBILE",
        dest_value="<svg onload=alert(5)>",
        role_name="<u>role</u>",
        synced_at=now,
        search_text=SCRIPT_NAME.lower(),
    )
    formula = Agent.objects.create(
        agent_id="9002",
        agent_id_sort=9002,
        name=FORMULA,
        email="@SUM(1+1)",
        phone="-2+3",
        dest_type="SIP",
        dest_value="+cmd|' /C calc'!A0",
        synced_at=now,
        search_text="hyperlink",
    )
    for agent in (scripted, formula):
        agent.groups.add(group)
        WorkingWindow.objects.create(
            agent=agent, weekday_mask=0b1111111, start_minute=0, end_minute=1439
        )
    return scripted, formula


def test_markup_from_the_api_is_shown_as_text_and_never_runs(
    page, admin_user, hostile_agents, settings
):
    settings.DEEPCALL_SYNC_TTL = 10**9  # show what is in the database; no refresh from DeepCall
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, admin_user)
    for url in ["/agents/", "/agents/9001/", "/schedules/", "/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, url
    page.goto("/agents/")
    assert page.get_by_text(SCRIPT_NAME).first.is_visible()
    assert page.get_by_text("Sales</b>", exact=False).first.is_visible()
    page.goto("/agents/9001/")
    assert page.get_by_text(IMG_EMAIL).first.is_visible()
    page.goto("/schedules/slot/?day=0&minute=600")
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []


def test_csv_export_neutralises_formulas(admin_client, hostile_agents, settings):
    settings.DEEPCALL_SYNC_TTL = 10**9
    response = admin_client.get("/agents/export.csv?q=hyperlink")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "'" + FORMULA
    assert row["email"] == "'@SUM(1+1)"
    assert row["phone"] == "'-2+3"
    assert row["dest_value"] == "'+cmd|' /C calc'!A0"
