"""The change history's page, CSV, the agent panel and the home page's count: roles, filters,
paging, the human form of values, bad input."""

import csv
import io
from datetime import datetime, timedelta

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from agents.models import AgentChange, Group, SyncRun
from agents.services import agent_sync
from tests.fixtures.sandbox import SANDBOX_LISTED_AGENTS

pytestmark = pytest.mark.django_db

MON_FRI = 0b0011111
MON_SAT = 0b0111111


def change(agent_id="4", name="Priya Sharma", *, kind="changed", field="", days_ago=0, **values):
    groups = values.pop("groups", ())
    return AgentChange.objects.create(
        recorded_at=timezone.now() - timedelta(days=days_ago),
        agent_id=agent_id,
        agent_name=name,
        kind=kind,
        field=field,
        group_keys=AgentChange.group_keys_for(groups),
        **values,
    )


@pytest.fixture
def history(db):
    """A small history: Priya's hours and groups, Ravi added a week ago, Old removed."""
    Group.objects.create(group_id="30", name="Sales")
    Group.objects.create(group_id="34", name="Billing")
    change(
        field="hours",
        before=[[MON_FRI, 540, 1080]],
        after=[[MON_SAT, 540, 1080]],
        groups=["30"],
    )
    change(
        field="groups",
        before=[["34", "Billing"]],
        after=[["30", "Sales"]],
        groups=["30"],
    )
    change("7", "Ravi Kumar", kind="added", days_ago=7, groups=["34"])
    change("8", "Old Timer", kind="removed", days_ago=20, groups=["34"])


def rows(response) -> list[str]:
    return [
        " ".join(cell.split())
        for cell in response.content.decode()
        .split("<tbody>")[1]
        .split("</tbody>")[0]
        .split("<tr>")[1:]
    ]


def test_only_logged_in_users_with_a_role_see_changes(client, nobody_user, history):
    for url in (reverse("change-list"), reverse("change-export")):
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(nobody_user)
    for url in (reverse("change-list"), reverse("change-export")):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("role_client", ["supervisor_client", "manager_client", "admin_client"])
def test_supervisors_and_above_see_the_page_and_the_csv(request, role_client, history):
    client = request.getfixturevalue(role_client)
    assert client.get(reverse("change-list")).status_code == 200
    assert client.get(reverse("change-export")).status_code == 200


def test_the_csv_needs_the_export_permission_like_the_other_exports(
    client, history, django_user_model
):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="x")
    user.user_permissions.add(Permission.objects.get(codename="view_agent"))
    client.force_login(user)
    page = client.get(reverse("change-list"))
    assert page.status_code == 200
    assert "Priya Sharma" in page.content.decode()
    assert "Export CSV" not in page.content.decode()
    assert client.get(reverse("change-export")).status_code == 403


def test_page_lists_newest_first_with_hours_and_groups_as_the_directory_shows_them(
    supervisor_client, history
):
    response = supervisor_client.get(reverse("change-list"))
    listed = rows(response)
    assert len(listed) == 4
    assert "Groups changed" in listed[0] and "Billing" in listed[0] and "Sales" in listed[0]
    assert "Working hours changed" in listed[1]
    assert "Mon–Fri 09:00–18:00" in listed[1] and "Mon–Sat 09:00–18:00" in listed[1]
    assert "Ravi Kumar" in listed[2] and "Added" in listed[2]
    assert "Old Timer" in listed[3] and "Removed" in listed[3]
    assert "Changes" in response.content.decode()  # in the navigation


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"agent": "ravi"}, ["Ravi Kumar"]),
        ({"agent": "8"}, ["Old Timer"]),  # by id
        ({"group": "34"}, ["Ravi Kumar", "Old Timer"]),
        ({"kind": "added"}, ["Ravi Kumar"]),
        ({"kind": "removed"}, ["Old Timer"]),
        ({"kind": "hours"}, ["Working hours changed"]),
        ({"kind": "changed"}, ["Groups changed", "Working hours changed"]),
    ],
)
def test_filters(supervisor_client, history, query, expected):
    listed = rows(supervisor_client.get(reverse("change-list"), query))
    assert len(listed) == len(expected)
    for row, text in zip(listed, expected, strict=True):
        assert text in row


def test_date_range_is_inclusive_in_the_account_time_zone(supervisor_client, history):
    today = timezone.localdate()
    week_ago = (today - timedelta(days=7)).isoformat()
    listed = rows(
        supervisor_client.get(reverse("change-list"), {"date_from": week_ago, "date_to": week_ago})
    )
    assert len(listed) == 1 and "Ravi Kumar" in listed[0]
    listed = rows(supervisor_client.get(reverse("change-list"), {"date_from": week_ago}))
    assert len(listed) == 3


def test_bad_filters_are_ignored_with_a_message_never_an_error(supervisor_client, history):
    response = supervisor_client.get(
        reverse("change-list"),
        {"date_from": "yesterday", "group": "no-such-group", "kind": "exploded", "page": "x"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count("Ignored") == 3
    assert len(rows(response)) == 4
    csv_response = supervisor_client.get(reverse("change-export"), {"date_from": "yesterday"})
    assert csv_response.status_code == 200


def test_pages_of_fifty_with_links_that_keep_the_filters(supervisor_client, db):
    for number in range(60):
        change(str(number), f"Agent {number}", kind="added", groups=["30"])
    change("x", "Elsewhere", kind="removed")
    first = supervisor_client.get(reverse("change-list"), {"kind": "added"})
    assert len(rows(first)) == 50
    assert 'href="/changes/?kind=added&amp;page=2"' in first.content.decode()
    second = supervisor_client.get(reverse("change-list"), {"kind": "added", "page": 2})
    assert len(rows(second)) == 10
    # A page past the end shows the last page rather than an error.
    assert len(rows(supervisor_client.get(reverse("change-list"), {"page": 99}))) == 11


def test_htmx_request_gets_only_the_table(supervisor_client, history):
    response = supervisor_client.get(
        reverse("change-list"), {"kind": "added"}, headers={"HX-Request": "true"}
    )
    text = response.content.decode()
    assert "<table" in text and "<form" not in text and "<html" not in text
    assert response["Vary"].count("HX-Request") == 1


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_has_the_columns_the_filters_and_the_human_values(supervisor_client, history):
    response = supervisor_client.get(reverse("change-export"), {"group": "30"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    table = read_csv(response)
    assert table[0] == ["time", "agent id", "agent name", "change", "field", "before", "after"]
    assert [row[1:] for row in table[1:]] == [
        ["4", "Priya Sharma", "changed", "Groups", "Billing", "Sales"],
        [
            "4",
            "Priya Sharma",
            "changed",
            "Working hours",
            "Mon–Fri 09:00–18:00",
            "Mon–Sat 09:00–18:00",
        ],
    ]
    recorded = datetime.fromisoformat(table[1][0])
    assert recorded.utcoffset() == timedelta(hours=5, minutes=30)  # Asia/Kolkata


def test_csv_cells_cannot_run_as_formulas(supervisor_client, db):
    change("=1+1", '=HYPERLINK("http://evil")', field="name", before="@SUM(A1)", after="-2+3")
    (_, row) = read_csv(supervisor_client.get(reverse("change-export")))
    assert row[1:] == [
        "'=1+1",
        '\'=HYPERLINK("http://evil")',
        "changed",
        "Name",
        "'@SUM(A1)",
        "'-2+3",
    ]


def test_agent_panel_shows_its_own_changes_even_once_it_is_gone(supervisor_client, history):
    response = supervisor_client.get(reverse("agent-detail", args=["8"]))
    assert response.status_code == 404  # not in the directory any more…
    text = response.content.decode()
    assert "Removed" in text and "/changes/?agent=8" in text  # …but its history says why
    response = supervisor_client.get(reverse("agent-detail", args=["4"]))
    assert "Mon–Sat 09:00–18:00" in response.content.decode()


def test_home_page_counts_changes_since_the_last_visit_and_links_to_them(
    supervisor_client, history
):
    home = supervisor_client.get(reverse("home")).content.decode()
    assert "<strong>4</strong> changes in DeepCall since your last visit" in home
    supervisor_client.get(reverse("change-list"))  # the visit
    home = supervisor_client.get(reverse("home")).content.decode()
    assert "No changes in DeepCall since your last visit" in home

    change("9", "New Person", kind="added")
    home = supervisor_client.get(reverse("home")).content.decode()
    assert "<strong>1</strong> change in DeepCall since your last visit" in home
    link = home.split('id="changes-since-visit"')[1].split('href="')[1].split('"')[0]
    assert link.startswith("/changes/?after=")
    listed = rows(supervisor_client.get(link.replace("&amp;", "&")))
    assert len(listed) == 1 and "New Person" in listed[0]


def test_a_real_sync_shows_on_the_page(supervisor_client, sandbox_settings):
    from agents.upstream import reset_deepcall_client

    reset_deepcall_client()
    assert agent_sync(trigger="command").outcome == SyncRun.Outcome.SUCCEEDED
    httpx.post(
        f"{sandbox_settings.url}/_sandbox/mutate",
        json={"hours": {"4": [{"wDays": ["MON", "TUE"], "from": 1320, "to": 360}]}},
    )
    assert agent_sync(trigger="command").outcome == SyncRun.Outcome.SUCCEEDED
    reset_deepcall_client()
    listed = rows(supervisor_client.get(reverse("change-list")))
    assert f"First load of {SANDBOX_LISTED_AGENTS} agents" in listed[1]
    assert "vijay developer" in listed[0]
    assert "Mon, Tue 22:00–06:00 (overnight)" in listed[0]


def test_groups_that_share_a_name_show_their_ids_and_flags_read_as_words(supervisor_client, db):
    Group.objects.create(group_id="13", name="Test_Group")
    Group.objects.create(group_id="15", name="Test_Group")
    change(field="groups", before=[["13", "Test_Group"]], after=[["15", "Test_Group"]])
    change(field="pending_deletion", before=False, after=True)
    change(field="status", before=True, after=False)
    table = read_csv(supervisor_client.get(reverse("change-export")))
    assert [row[4:] for row in table[1:]] == [
        ["Status", "Active", "Inactive"],
        ["Pending deletion", "No", "Yes"],
        ["Groups", "Test_Group (#13)", "Test_Group (#15)"],
    ]
