"""Every CSV export quotes every field, so a spreadsheet in a locale whose separator is not the
comma (a semicolon-separated Excel) still reads each cell whole, and no part of a cell can start
a formula of its own; the neutralising of formula prefixes comes on top."""

import csv
import io

import pytest
from django.utils import timezone

from agents.models import AgentChange, StaffingTarget, SyncRun
from tests.fixtures.agents import create_agents, make_agent

# Closing a download closes its database connection, after the row count is written.
pytestmark = pytest.mark.django_db(transaction=True)

# No comma or quote of its own, so a writer that quotes only when it must leaves it bare.
HOSTILE_NAME = "x;=HYPERLINK(A1)"
EXPORTS = [
    "/agents/export.csv",
    "/changes.csv",
    "/schedules/coverage.csv",
    "/schedules/targets.csv",
]


@pytest.fixture
def hostile_data(settings):
    settings.DEEPCALL_SYNC_TTL = 10**9
    create_agents(range(1, 4))
    make_agent(9, HOSTILE_NAME, [((0, 1, 2, 3, 4), 540, 1020)])
    AgentChange.objects.create(
        recorded_at=timezone.now(), agent_id="9", agent_name=HOSTILE_NAME, kind="added"
    )
    StaffingTarget.objects.create(weekday=0, start_minute=540, target=2)
    now = timezone.now()
    SyncRun.objects.create(started_at=now, finished_at=now, outcome="succeeded", agent_count=4)


def download(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    content = response.streaming_content if response.streaming else [response.content]
    body = b"".join(content).decode()
    response.close()
    return body


def semicolon_cells(line: str) -> list[str]:
    """The cells a spreadsheet whose separator is ";" makes of a line: it cuts at every ";"
    outside quotes, each quote opening or closing a quoted stretch ("" twice, so no change)."""
    cells, cell, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            cells.append(cell)
            cell = ""
        else:
            cell += char
    return [*cells, cell]


@pytest.mark.parametrize("url", EXPORTS)
def test_every_field_of_every_export_is_quoted(manager_client, hostile_data, url):
    body = download(manager_client, url)
    lines = body.splitlines()
    assert len(lines) > 1  # a header and data
    for line, row in zip(lines, csv.reader(io.StringIO(body)), strict=True):
        quoted = io.StringIO()
        csv.writer(quoted, quoting=csv.QUOTE_ALL, lineterminator="").writerow(row)
        assert line == quoted.getvalue()


@pytest.mark.parametrize("url", ["/agents/export.csv", "/changes.csv"])
def test_a_name_with_a_semicolon_stays_one_cell_for_a_semicolon_separated_reader(
    manager_client, hostile_data, url
):
    body = download(manager_client, url)
    (line,) = [line for line in body.splitlines() if "HYPERLINK" in line]
    # Read as a semicolon-separated spreadsheet would: the semicolon inside the name is quoted
    # with it, so the line is not cut there and "=HYPERLINK(…)" never starts a cell.
    assert semicolon_cells(line) == [line]
    # Read with commas, as the file is written, the name comes back whole.
    (row,) = csv.reader([line])
    assert HOSTILE_NAME in row
