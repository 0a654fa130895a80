"""The directory table (`agents.tables.AgentTable`) draws what it is given: each cell escaped,
the select column only for admins with the ticked rows checked, the sorted column marked."""

import re
from datetime import UTC, datetime
from html import unescape

from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from agents.liststate import SortHeader
from agents.models import Agent
from agents.tables import AgentTable

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def agent(agent_id: str, name: str, **fields) -> Agent:
    row = Agent(agent_id=agent_id, name=name, is_active=True, **fields)
    row.listed_groups, row.listed_windows, row.listed_cad_state = (), (), None
    return row


def table(agents, **changes) -> AgentTable:
    arguments = {
        "agents": agents,
        "duplicated_names": frozenset(),
        "now": NOW,
        "page": None,
        "sort_headers": {},
        "caption": "Agents",
    }
    return AgentTable(**arguments | changes)


def test_cells_are_escaped_and_empty_ones_show_a_dash():
    html = table([agent("7", "<script>alert(1)</script>", email="")]).rows_html()

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<td class="col-email">—</td>' in html
    assert '<tr data-agent-id="7">' in html


def test_the_select_column_is_drawn_only_for_a_selection_and_ticks_its_rows():
    rows = [agent("1", "Ann"), agent("2", "Bob")]

    assert "col-select" not in table(rows).rows_html()
    html = table(rows, ticked_ids=frozenset({"2"})).rows_html()
    first, second = html.split("\n")
    assert 'value="1"' in first and "checked" not in first
    assert 'value="2"' in second and "checked" in second


def test_the_sorted_column_says_its_direction_and_the_page_draws_in_a_named_region():
    sort = SortHeader(key="name", url="/agents/?sort=name", direction="descending", label="x")
    drawn = table([agent("1", "Ann")], sort_headers={"name": sort})

    headers = {column.name: classes for column, classes, _ in drawn.header_cells}
    assert headers["name"] == "col-name desc orderable"
    assert headers["cad"] == "col-cad"
    html = render_to_string(
        "tables/list_table.html", {"table": drawn, "request": RequestFactory().get("/")}
    )
    assert 'role="region" aria-label="Agents table"' in html
    assert 'aria-sort="descending"' in html


def test_each_name_links_to_the_url_django_reverses_for_that_id():
    odd_ids = ["7", "a/b", "..", "~7E", "50%", "a?b#c", "two words", "it's <b>", "ज़ेड-7", "refresh"]
    html = table([agent(agent_id, "Ann") for agent_id in odd_ids]).rows_html()

    links = re.findall(r'<a href="([^"]+)"', html)
    assert [unescape(link) for link in links] == [
        reverse("agent-detail", args=[agent_id]) for agent_id in odd_ids
    ]
