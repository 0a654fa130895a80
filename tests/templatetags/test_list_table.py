"""The project's table template (`tables/list_table.html`) for a table that leaves its rows to
the template: the directory builds its rows itself, every other ListTable would not."""

import django_tables2 as tables
from django.template import Context, Template
from django.test import RequestFactory

from agents.tables import ListTable


class TeamTable(ListTable):
    name = tables.Column()
    seats = tables.Column()

    region_id = "team-table-wrap"
    region_label = "Teams table"


def render(table: ListTable) -> str:
    request = RequestFactory().get("/teams/")
    template = Template("{% load django_tables2 %}{% render_table table %}")
    return template.render(Context({"table": table, "request": request}))


def test_rows_come_from_the_columns_escaped_in_a_named_scroll_region():
    table = TeamTable([{"name": "Night <shift>", "seats": 4}, {"name": "Day", "seats": 12}])
    table.paginate(per_page=25)

    html = render(table)

    assert 'role="region" aria-label="Teams table"' in html
    assert '<td class="col-name">Night &lt;shift&gt;</td>' in html
    assert '<td class="col-seats">12</td>' in html
    assert "<shift>" not in html


def test_an_empty_table_says_so_across_every_column():
    table = TeamTable([], empty_text="No teams yet.")
    table.paginate(per_page=25)

    html = render(table)

    assert '<td colspan="2">No teams yet.</td>' in html
