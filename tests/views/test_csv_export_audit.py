"""Every CSV export is recorded for the admins: who, when, which export, the validated filter and
the rows sent; the audit page is for admins only."""

import csv
import io

import pytest
from django.utils import timezone

from agents.models import CsvExport, SyncRun
from tests.fixtures.agents import create_agents

# Closing a download closes its database connection, after the row count is written.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agents(settings):
    settings.DEEPCALL_SYNC_TTL = 10**9
    create_agents(range(1, 30))
    now = timezone.now()
    SyncRun.objects.create(started_at=now, finished_at=now, outcome="succeeded", agent_count=29)


def download(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    content = response.streaming_content if response.streaming else [response.content]
    body = b"".join(content).decode()
    response.close()
    return list(csv.reader(io.StringIO(body)))


def test_a_directory_export_is_recorded_with_user_filter_and_rows(supervisor_client, agents):
    rows = download(supervisor_client, "/agents/export.csv?q=Agent+1&junk=%3Cx%3E")
    assert len(rows) > 2  # a header and more than one agent

    (export,) = CsvExport.objects.all()
    assert export.username == "sam.supervisor"
    assert export.user.username == "sam.supervisor"
    assert export.path == "/agents/export.csv"
    assert export.filter_query == "q=Agent+1"  # validated: the junk key is not kept
    assert export.rows == len(rows) - 1  # data rows, header excluded
    assert export.completed is True


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/changes.csv", "/changes.csv"),
        ("/schedules/coverage.csv?slot=30", "/schedules/coverage.csv"),
        ("/schedules/targets.csv", "/schedules/targets.csv"),
    ],
)
def test_every_csv_export_is_recorded(supervisor_client, agents, url, path):
    rows = download(supervisor_client, url)
    export = CsvExport.objects.get(path=path)
    assert export.username == "sam.supervisor"
    assert export.rows == len(rows) - 1
    if "slot=30" in url:
        assert export.filter_query == "slot=30"


def test_an_abandoned_download_is_recorded_as_such(supervisor_client, agents):
    response = supervisor_client.get("/agents/export.csv")
    next(iter(response.streaming_content))  # the header only, then the client goes away
    response.close()
    export = CsvExport.objects.get()
    assert (export.rows, export.completed) == (0, False)


def test_only_admins_read_the_audit_trail(supervisor_client, agents):
    download(supervisor_client, "/agents/export.csv?q=Agent+1")
    assert supervisor_client.get("/exports/").status_code == 403


def test_managers_may_not_read_the_audit_trail(manager_client):
    assert manager_client.get("/exports/").status_code == 403


def test_admins_see_each_export(admin_client, agents):
    rows = download(admin_client, "/agents/export.csv?q=Agent+1")
    page = admin_client.get("/exports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/agents/export.csv" in html
    assert "q=Agent+1" in html
    assert f'<td class="text-end">{len(rows) - 1}</td>' in html
    assert "<td>ada.admin</td>" in html


def _exports(user, path: str, count: int, *, days_ago: int = 0) -> None:
    CsvExport.objects.bulk_create(
        CsvExport(user=user, username=user.username, path=path, rows=n, completed=True)
        for n in range(count)
    )
    if days_ago:
        when = timezone.now() - timezone.timedelta(days=days_ago)
        CsvExport.objects.filter(user=user, path=path).update(started_at=when)


def test_the_audit_trail_is_paged_and_filtered_by_user_export_and_dates(
    admin_client, admin_user, supervisor_user
):
    _exports(admin_user, "/changes.csv", 60)
    _exports(supervisor_user, "/agents/export.csv", 3, days_ago=10)

    first = admin_client.get("/exports/").content.decode()
    assert "<strong>63</strong> exports" in first
    assert first.count("<code>/changes.csv</code>") == 50  # the first page: the newest 50
    assert 'href="/exports/?page=2"' in first
    last = admin_client.get("/exports/?page=2").content.decode()
    # The rest: the last 10 of the newest, then the 3 older ones.
    assert last.count("<td>ada.admin</td>") == 10 and last.count("<td>sam.supervisor</td>") == 3

    theirs = admin_client.get(f"/exports/?user={supervisor_user.pk}").content.decode()
    assert "<strong>3</strong> exports match" in theirs
    assert "<code>/changes.csv</code>" not in theirs
    agents_csv = admin_client.get("/exports/?export=/agents/export.csv").content.decode()
    assert agents_csv.count("<code>/agents/export.csv</code>") == 3
    since = (timezone.localdate() - timezone.timedelta(days=2)).isoformat()
    recent = admin_client.get(f"/exports/?started_from={since}").content.decode()
    assert "<strong>60</strong> exports match" in recent


def test_the_audit_trail_says_what_it_ignored_and_answers_htmx_with_its_table(
    admin_client, admin_user
):
    _exports(admin_user, "/changes.csv", 3)

    page = admin_client.get("/exports/?page=9&started_from=yesterday").content.decode()
    assert "There is no page 9; showing the last page, 1." in page
    assert "Ignored from" in page
    assert page.count("<code>/changes.csv</code>") == 3
    partial = admin_client.get("/exports/", headers={"HX-Request": "true"})
    assert "<h1" not in partial.content.decode() and "/changes.csv" in partial.content.decode()
    assert "HX-Request" in partial["Vary"]
