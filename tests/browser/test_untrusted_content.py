"""Content from the API is untrusted: markup in any field, or in the id, shows as text and runs
nothing. The content security policy would block an injected script even if escaping broke, so
each test asserts that the escaped text is on the page, not only that nothing ran."""

import csv
import io

import pytest
from django.utils import timezone

from agents.models import Agent, Group, WorkingWindow, group_keys_for
from tests.fixtures.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hostile(n: int) -> str:
    """Markup that breaks out of text, double- and single-quoted attribute contexts alike."""
    return f"'\"><img src=x onerror=window.__pwned={n}><b>x{n}</b>&amp;"


HOSTILE_ID = "'\"><img src=x onerror=window.__pwned=99>&amp;"  # no "/" (that is item 4's)
FIELDS = ["name", "email", "phone", "address", "dest_type", "dest_value", "role_id", "role_name"]
VALUES = {field: hostile(n) for n, field in enumerate(FIELDS, start=1)}
PARENT_PATH = hostile(20)
DID = hostile(21)
GROUP_NAME = hostile(22)
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def hostile_agents():
    now = timezone.now()
    group = Group.objects.create(group_id="666", name=GROUP_NAME)
    scripted = Agent.objects.create(
        agent_id=HOSTILE_ID,
        agent_id_sort=0,
        parent_path=PARENT_PATH,
        dids=[DID],
        synced_at=now,
        search_text="hostile",
        group_keys=group_keys_for(["666"]),
        **VALUES,
    )
    formula = Agent.objects.create(
        agent_id="9002",
        agent_id_sort=9002,
        name=FORMULA,
        email="@SUM(1+1)",
        phone="-2+3",
        dest_type="\uff1dSUM(1)",  # full-width =
        dest_value="+cmd|' /C calc'!A0",
        address="\tTAB",
        role_name="\rCR",
        synced_at=now,
        search_text="hyperlink",
        group_keys=group_keys_for(["666"]),
    )
    for agent in (scripted, formula):
        agent.groups.add(group)
        WorkingWindow.objects.create(
            agent=agent, weekday_mask=0b1111111, start_minute=0, end_minute=1439
        )
    return scripted, formula


def visible(where, text: str) -> bool:
    return where.get_by_text(text, exact=False).first.is_visible()


def test_markup_from_the_api_is_shown_as_text_and_never_runs(
    page, admin_user, hostile_agents, settings
):
    settings.DEEPCALL_SYNC_TTL = 10**9  # show what is in the database; no refresh from DeepCall
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, admin_user)

    page.goto("/agents/?q=hostile")
    table = page.locator("#agent-table-region table")
    # Text contexts: every listed field shows exactly as DeepCall sent it.
    for field in ("name", "email", "phone", "dest_type", "dest_value", "role_name"):
        assert visible(table, VALUES[field]), field
    assert visible(table, GROUP_NAME)
    assert visible(table, HOSTILE_ID)
    # Attribute contexts: the id survives whole in the row, the checkbox and the link.
    row = page.locator("tr[data-agent-id]").first
    assert row.get_attribute("data-agent-id") == HOSTILE_ID
    assert row.locator('input[name="agent_id"]').get_attribute("value") == HOSTILE_ID
    assert row.locator('input[name="agent_id"]').get_attribute("aria-label") == (
        "Select " + VALUES["name"]
    )

    # The detail page, through the row's own link: every field, the id, the groups, the DIDs.
    row.get_by_role("link").first.click()
    panel = page.locator("#agent-detail-body")
    panel.locator("dl").wait_for()
    for field in FIELDS:
        assert visible(panel, VALUES[field]), field
    for text in (HOSTILE_ID, PARENT_PATH, DID, GROUP_NAME):
        assert visible(panel, text), text

    for url in ["/agents/", "/schedules/", "/schedules/slot/?slot_day=0&slot_minute=600", "/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, url
    page.goto("/schedules/slot/?slot_day=0&slot_minute=600")
    assert visible(page, VALUES["name"])
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


def test_csv_export_neutralises_formulas(admin_client, hostile_agents, settings):
    settings.DEEPCALL_SYNC_TTL = 10**9
    response = admin_client.get("/agents/export.csv?q=hyperlink")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "'" + FORMULA  # =
    assert row["email"] == "'@SUM(1+1)"  # @
    assert row["phone"] == "'-2+3"  # -
    assert row["dest_value"] == "'+cmd|' /C calc'!A0"  # +
    assert row["address"] == "'\tTAB"  # tab
    assert row["role"] == "'\rCR"  # carriage return
    assert row["dest_type"] == "'\uff1dSUM(1)"  # full-width =


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"])
def test_every_formula_prefix_is_neutralised(prefix):
    from agents.services.agent_queries import neutralise_cell

    assert neutralise_cell(f"{prefix}1+1") == f"'{prefix}1+1"
    assert neutralise_cell(f"a{prefix}1") == f"a{prefix}1"
