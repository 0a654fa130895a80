"""The directory's views through Django's test client: filters, sort, paging, bad input,
the htmx partial against the full page, the detail panel and the CSV export."""

import csv
import dataclasses
import html
import io
import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agents import working_hours
from agents.deepcall.records import AgentListing, AgentRecord, GroupRef, WorkingWindow
from agents.liststate import AgentListState
from agents.models import Agent, CadJob, CadResult, SyncRun
from agents.services import agent_queries
from agents.services.read_model_writer import read_model_write_listing

pytestmark = pytest.mark.django_db

ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)
SALES = GroupRef("30", "Sales")
SALES_TWO = GroupRef("31", "Sales")
SUPPORT = GroupRef("32", "Support")


def record(agent_id, name, **fields):
    fields.setdefault("email", f"{name.split()[0].lower()}@example.com")
    fields.setdefault("phone", f"9198000000{agent_id}")
    return AgentRecord(agent_id=str(agent_id), name=name, **fields)


AGENTS = [
    record(
        1,
        "Ann Lee",
        groups=(SALES,),
        role_name="test",
        dest_type="MOBILE",
        dest_value="98000001",
        windows=(WorkingWindow(ALL_WEEK, 0, 1439),),
    ),
    record(
        2,
        "Bob Kumar",
        groups=(SALES_TWO, SUPPORT),
        role_name="Supervisor",
        dest_type="SIP",
        dest_value="sip2",
        is_active=False,
        windows=(WorkingWindow((0, 1, 2, 3, 4), 540, 1260),),
    ),
    record(
        3,
        "Chitra Rao",
        groups=(SUPPORT,),
        role_name="test",
        dest_type="MOBILE",
        address='=HYPERLINK("http://evil")',
        windows=(WorkingWindow((4,), 0, 0),),
    ),
    record(
        10,
        "Dev Anand",
        role_name="Quality",
        dest_type="LANDLINE",
        dest_value="0141222",
        email="-dev@example.com",
        created_at=datetime(2024, 7, 4, 10, 0, tzinfo=UTC),
    ),
    *[
        record(100 + i, f"Zed Filler{i:02d}", groups=(SUPPORT,), role_name="test")
        for i in range(40)
    ],
]


@pytest.fixture
def directory(db):
    read_model_write_listing(AgentListing(agents=tuple(AGENTS)), now=timezone.now())
    # A fresh good sync, so the page shows data and queues nothing.
    now = timezone.now()
    SyncRun.objects.create(started_at=now, finished_at=now, outcome="succeeded", agent_count=44)
    return Agent.objects.all()


def get(client, params=None, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.get(reverse("agent-list"), params or {}, headers=headers)


def listed(response):
    """The agents of the page shown, in the table's order."""
    return response.context["table"].agents


def names(response):
    return [a.name for a in listed(response)]


def test_full_page_lists_agents_with_counts_and_filter_form(supervisor_client, directory):
    response = get(supervisor_client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and 'id="agent-table-region"' in html
    assert "Apply filters" in html
    for name in ("q", "group", "status", "dest_type", "role", "day", "on_shift", "per_page"):
        assert f'name="{name}"' in html
    assert "44</strong> of 44 agents" in html
    assert names(response)[:4] == ["Ann Lee", "Bob Kumar", "Chitra Rao", "Dev Anand"]
    assert "HX-Request" in response["Vary"]


def test_htmx_request_gets_only_the_table_partial(supervisor_client, directory):
    response = get(supervisor_client, {"q": "ann"}, htmx=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "Apply filters" not in html
    assert 'id="agent-table"' in html
    assert names(response) == ["Ann Lee"]
    assert "HX-Request" in response["Vary"]


def test_duplicate_group_names_show_their_id(supervisor_client, directory):
    html = get(supervisor_client, {"q": "bob"}).content.decode()
    assert "Sales (#31)" in html
    assert "Support</td>" in html or "Support," in html or ", Support" in html


def test_table_shows_hours_status_and_on_shift_as_text(supervisor_client, directory):
    html = get(supervisor_client, {"q": "ann"}, htmx=True).content.decode()
    assert "All day, every day" in html
    assert ">Active<" in html
    assert ">On shift<" in html


ALL = object()  # every agent matches


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "KUMAR"}, ["Bob Kumar"]),
        ({"q": "9198000000"}, ALL),  # every agent's phone
        ({"q": "dev@example"}, ["Dev Anand"]),
        ({"q": "ann lee"}, ["Ann Lee"]),
        ({"status": "inactive"}, ["Bob Kumar"]),
        ({"dest_type": "LANDLINE"}, ["Dev Anand"]),
        ({"role": "Supervisor"}, ["Bob Kumar"]),
        ({"day": "5", "q": "a"}, ["Ann Lee"]),
        ({"day": "4", "q": "rao"}, []),  # 0–0 is no hours, not a Friday shift
    ],
)
def test_filters(supervisor_client, directory, params, expected):
    response = get(supervisor_client, params, htmx=True)
    if expected is ALL:
        assert response.context["directory"].matching_count == len(AGENTS)
        assert names(response) == names(get(supervisor_client))
    else:
        assert names(response) == expected


def test_several_groups_at_once_match_any_of_them(supervisor_client, directory):
    response = get(supervisor_client, {"group": ["30", "31"]}, htmx=True)
    assert names(response) == ["Ann Lee", "Bob Kumar"]


def test_group_and_status_combine(supervisor_client, directory):
    response = get(supervisor_client, {"group": "32", "status": "active", "per_page": "100"})
    assert response.context["directory"].matching_count == 41
    assert "Bob Kumar" not in names(response)


def test_on_shift_filter_uses_the_windows(supervisor_client, directory):
    response = get(supervisor_client, {"on_shift": "yes"}, htmx=True)
    assert "Ann Lee" in names(response)  # all day, every day
    assert "Chitra Rao" not in names(response)


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("name", "Ann Lee"),
        ("-name", "Zed Filler39"),
        ("-id", "Zed Filler39"),
        ("status", "Bob Kumar"),
        ("role", "Dev Anand"),
        ("email", "Dev Anand"),  # "-dev@" sorts first
        ("groups", "Dev Anand"),  # no group sorts first
        ("hours", "Chitra Rao"),  # no real hours first, then by id
        ("-destination", "Bob Kumar"),
        ("phone", "Ann Lee"),
    ],
)
def test_sort_by_each_column(supervisor_client, directory, sort, first):
    response = get(supervisor_client, {"sort": sort}, htmx=True)
    assert response.status_code == 200
    assert names(response)[0] == first


def test_sort_by_groups_and_hours_follows_each_sync(supervisor_client, directory):
    """The sort values are kept by the sync: a renamed group or changed hours re-sort."""

    def first_by(sort):
        return names(get(supervisor_client, {"sort": sort}, htmx=True))[0]

    by_group, by_hours = first_by("-groups"), first_by("-hours")
    late = record(
        "77",
        "Late Larry",
        groups=(GroupRef("99", "Zulu"),),
        windows=(WorkingWindow((0,), 0, 0), WorkingWindow((1,), 1380, 1439)),
    )
    read_model_write_listing(AgentListing(agents=(*AGENTS, late)), now=timezone.now())
    assert (first_by("-groups"), first_by("-hours")) == ("Late Larry", "Late Larry")

    renamed = dataclasses.replace(
        late, groups=(GroupRef("99", "Able"),), windows=(WorkingWindow((1,), 60, 120),)
    )
    read_model_write_listing(AgentListing(agents=(*AGENTS, renamed)), now=timezone.now())
    assert (first_by("-groups"), first_by("-hours")) == (by_group, by_hours)


def test_sort_by_on_shift_puts_the_agents_on_shift_now_first(supervisor_client, directory):
    response = get(supervisor_client, {"sort": "-on_shift", "per_page": "100"}, htmx=True)
    agents = listed(response)
    now = timezone.now()
    on_shift = [working_hours.agent_is_on_shift(a.windows.all(), now) for a in agents]
    # Which agents are on shift depends on the hour the test runs; the order must not.
    assert on_shift == sorted(on_shift, reverse=True)
    assert on_shift[[a.name for a in agents].index("Ann Lee")]  # all day, every day
    assert not on_shift[[a.name for a in agents].index("Chitra Rao")]  # no hours


def test_numeric_ids_sort_as_numbers(supervisor_client, directory):
    response = get(supervisor_client, {"sort": "id", "q": "a"}, htmx=True)
    ids = [a.agent_id for a in listed(response)]
    assert ids[:4] == ["1", "2", "3", "10"]


def test_unknown_sort_falls_back_to_default_without_error(supervisor_client, directory):
    response = get(supervisor_client, {"sort": "password"}, htmx=True)
    assert response.status_code == 200
    assert response.context["list"].sort == "id"


def test_paging_and_page_size(supervisor_client, directory):
    response = get(supervisor_client, {"page": "2"}, htmx=True)
    assert len(names(response)) == 19 and response.context["page"].page.number == 2
    response = get(supervisor_client, {"per_page": "50"}, htmx=True)
    assert len(names(response)) == 44
    response = get(supervisor_client, {"per_page": "7"}, htmx=True)
    assert len(names(response)) == 25
    assert "25, 50 or 100" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"page": "abc"}, "showing page 1"),
        ({"page": "99999"}, "showing the last page, 2"),
        ({"group": "999"}, "Ignored groups"),
        ({"day": "9"}, "Ignored works on"),
        ({"status": "maybe"}, "Ignored status"),
    ],
)
def test_bad_parameters_give_a_page_and_a_notice(supervisor_client, directory, params, notice):
    for htmx in (False, True):
        response = get(supervisor_client, params, htmx=htmx)
        assert response.status_code == 200
        assert notice in response.content.decode()


def test_links_keep_the_other_filters_and_drop_invalid_ones(supervisor_client, directory):
    response = get(supervisor_client, {"group": "32", "day": "9", "sort": "-name"})
    state = response.context["list"]
    assert state.current_url == "/agents/?group=32&sort=-name"
    assert state.sort_headers["name"].url == "/agents/?group=32&sort=name"  # toggles to ascending
    assert state.sort_headers["id"].url == "/agents/?group=32"  # the default sort needs no key
    assert state.sort_headers["email"].url == "/agents/?group=32&sort=email"
    assert response.context["page"].next_url == "/agents/?group=32&sort=-name&page=2"


def test_no_match_shows_a_clear_filters_link(supervisor_client, directory):
    html = get(supervisor_client, {"q": "nobody-here"}, htmx=True).content.decode()
    assert "No agents match these filters" in html
    assert f'href="{reverse("agent-list")}">Clear filters' in html


def test_never_synced_shows_first_load_and_polls(supervisor_client, settings, db):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    html = get(supervisor_client).content.decode()
    assert "Loading agents from DeepCall for the first time…" in html
    assert 'hx-trigger="every 2s"' in html
    assert SyncRun.objects.filter(outcome="running", trigger="ttl").count() == 1


def test_failed_sync_keeps_data_under_a_banner(supervisor_client, directory):
    now = timezone.now()
    SyncRun.objects.create(
        started_at=now, finished_at=now, outcome="failed", message="DeepCall is not reachable."
    )
    html = get(supervisor_client).content.decode()
    assert "DeepCall is not reachable." in html
    assert "Ann Lee" in html


def test_filter_queryset_and_description_for_other_pages(directory):
    from django.http import QueryDict

    state = AgentListState(QueryDict("group=30&group=31&status=active&q=ann&day=9"), path="/")
    assert [a.name for a in state.filterset.qs] == ["Ann Lee"]
    assert state.description == "groups Sales (#30), Sales (#31), active, text “ann”"
    assert AgentListState(QueryDict(""), path="/").description == "all agents"


def test_detail_page_and_panel(manager_client, directory, admin_user):
    job = CadJob.objects.create(
        idempotency_key="k1", action="enable", created_by=admin_user, total=1
    )
    CadResult.objects.create(job=job, agent_id="2", outcome="failed", message="Busy", code=1501)
    url = reverse("agent-detail", args=["2"])
    full = manager_client.get(url)
    assert full.status_code == 200
    html = full.content.decode()
    assert "<html" in html and "Bob Kumar" in html and "Sales (#31)" in html
    assert reverse("cad-job-detail", args=[job.public_id]) in html and "Busy" in html
    partial = manager_client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "Bob Kumar" in partial.content.decode()


def test_an_id_with_url_characters_links_to_its_own_page(supervisor_client, directory):
    odd = record("agent 7?#%", "Odd Id", address="the odd one")
    read_model_write_listing(AgentListing(agents=(*AGENTS, odd)), now=timezone.now())

    html = get(supervisor_client, {"q": "odd id"}).content.decode()
    link = re.search(r'<a href="(/agents/[^"]+/)"', html).group(1)
    assert link == "/agents/agent%207%3F%23%25/"
    detail = supervisor_client.get(link)
    assert detail.status_code == 200 and "the odd one" in detail.content.decode()


def test_unknown_agent_is_a_clear_404(supervisor_client, directory):
    response = supervisor_client.get(reverse("agent-detail", args=["nope"]))
    assert response.status_code == 404
    assert "No agent with id “nope”" in response.content.decode()
    panel = supervisor_client.get(
        reverse("agent-detail", args=["nope"]), headers={"HX-Request": "true"}
    )
    assert panel.status_code == 200 and "No agent with id" in panel.content.decode()


def test_an_agent_deleted_in_deepcall_says_so_on_its_own_page(supervisor_client, directory):
    gone = record(77, "Gone Person", is_deleted=True)
    read_model_write_listing(AgentListing(agents=(*AGENTS, gone)), now=timezone.now())

    response = supervisor_client.get(reverse("agent-detail", args=["77"]))

    assert response.status_code == 404
    text = response.content.decode()
    assert "It was deleted in DeepCall" in text and "Gone Person" not in text
    unknown = supervisor_client.get(reverse("agent-detail", args=["78"])).content.decode()
    assert "deleted in DeepCall" not in unknown and "the link may be wrong" in unknown


def test_an_agent_gone_from_the_listing_points_to_its_history(supervisor_client, directory):
    read_model_write_listing(AgentListing(agents=tuple(AGENTS[1:])), now=timezone.now())

    text = supervisor_client.get(reverse("agent-detail", args=["1"])).content.decode()

    assert "no longer in DeepCall" in text and "Removed" in text


def export(client, params=None):
    response = client.get(reverse("agent-export"), params or {})
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_export_has_the_filtered_rows_and_columns(supervisor_client, directory):
    rows = export(supervisor_client, {"group": ["30", "31"]})
    assert rows[0] == [
        "agent_id",
        "name",
        "email",
        "phone",
        "address",
        "dest_type",
        "dest_value",
        "groups",
        "working_hours",
        "status",
        "role",
        "on_shift_now",
        "created_at",
        "pending_deletion",
        "cad_as_set_here",
        "cad_set_at",
    ]
    assert [r[1] for r in rows[1:]] == ["Ann Lee", "Bob Kumar"]
    bob = rows[2]
    assert bob[7] == "Sales (#31); Support" and bob[8] == "Mon–Fri 09:00–21:00"
    assert bob[9] == "inactive"


def test_export_rows_keep_their_own_groups_and_hours_across_chunks(
    supervisor_client, directory, monkeypatch
):
    whole = export(supervisor_client, {"sort": "-name"})
    monkeypatch.setattr(agent_queries, "EXPORT_CHUNK_SIZE", 3)
    chunked = export(supervisor_client, {"sort": "-name"})
    assert chunked == whole
    names = [row[1] for row in chunked[1:]]
    assert len(names) == 44 and names == sorted(names, key=str.lower, reverse=True)
    bob = next(row for row in chunked if row[1] == "Bob Kumar")
    assert bob[7] == "Sales (#31); Support" and bob[8] == "Mon–Fri 09:00–21:00"


def test_export_neutralises_formulas(supervisor_client, directory):
    rows = {r[0]: r for r in export(supervisor_client)[1:]}
    assert rows["3"][4] == '\'=HYPERLINK("http://evil")'
    assert rows["10"][2] == "'-dev@example.com"
    assert rows["10"][12] == "2024-07-04T10:00:00+00:00"
    assert len(rows) == 44


def test_export_needs_the_export_permission(client, directory, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="x")
    user.user_permissions.add(Permission.objects.get(codename="view_agent"))
    client.force_login(user)
    assert client.get(reverse("agent-export")).status_code == 403
    assert client.get(reverse("agent-list")).status_code == 200


def test_refresh_queues_a_sync_and_returns_to_the_same_view(supervisor_client, directory, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    response = supervisor_client.post(reverse("agent-refresh"), {"query": "?q=ann"})
    assert response.status_code == 302
    assert response["Location"] == reverse("agent-list") + "?q=ann"
    assert SyncRun.objects.filter(trigger="button", outcome="running").exists()
    # A second press while it is queued does not queue another.
    partial = supervisor_client.post(
        reverse("agent-refresh"), {"query": "?q=ann"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200 and "Ann Lee" in partial.content.decode()
    assert SyncRun.objects.filter(trigger="button").count() == 1
    assert supervisor_client.get(reverse("agent-refresh")).status_code == 405


def test_anonymous_goes_to_login_and_no_role_is_refused(client, nobody_user, directory):
    assert client.get(reverse("agent-list")).status_code == 302
    client.force_login(nobody_user)
    assert client.get(reverse("agent-list")).status_code == 403


def test_home_summarises_the_directory(supervisor_client, directory):
    response = supervisor_client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["agents_total"] == 44
    assert response.context["agents_active"] == 43
    html = response.content.decode()
    assert "?group=32" in html and "?status=active" in html


def test_while_a_refresh_runs_pages_read_its_status_and_write_nothing(
    supervisor_client, directory, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.DEEPCALL_SYNC_TTL = 0  # the copy is stale: every page view asks for a refresh
    SyncRun.objects.create(started_at=timezone.now(), outcome="running", trigger="ttl")
    with CaptureQueriesContext(connection) as queries:
        response = get(supervisor_client, {"q": "Lee"}, htmx=True)
    assert "Refreshing from DeepCall" in response.content.decode()
    statements = [q["sql"].lstrip().split()[0].upper() for q in queries.captured_queries]
    assert set(statements) == {"SELECT"}, statements
    sync_reads = [q for q in queries.captured_queries if "agents_syncrun" in q["sql"]]
    # The status once, for the staleness check and the banner; the read model's version for
    # every cached value of the page comes with it.
    assert len(sync_reads) == 1
    assert 'SELECT "agents_syncrun"."id"' in sync_reads[0]["sql"]
    assert SyncRun.objects.count() == 2


def test_the_filter_form_shows_each_querys_values_and_the_choices_after_a_sync(
    supervisor_client, directory
):
    def form_html(params):
        html = get(supervisor_client, params).content.decode()
        return html.split('id="agent-filter"')[1].split("</form>")[0]

    assert 'value="lee"' in form_html({"q": "lee"})
    assert 'value="kumar"' in form_html({"q": "kumar"})  # not the cached form of "lee"
    assert 'value="lee"' in form_html({"q": "lee"})
    # The choices' markup is shared by searches and pages; each shows its own selections.
    active = form_html({"q": "lee", "status": "active", "page": "2"})
    assert 'value="lee"' in active and '<option value="active" selected>' in active
    inactive = form_html({"q": "kumar", "status": "inactive"})
    assert 'value="kumar"' in inactive and '<option value="inactive" selected>' in inactive
    assert '<option value="active" selected>' not in inactive
    assert ">Night lead</option>" not in form_html({})

    # A sync that brings a new role: the next page offers it.
    Agent.objects.filter(name="Ann Lee").update(role_name="Night lead")
    now = timezone.now()
    run = SyncRun.objects.create(started_at=now, finished_at=now, outcome="succeeded")
    SyncRun.objects.filter(pk=run.pk).update(read_model_version=run.pk)
    assert ">Night lead</option>" in form_html({})


def test_forced_refresh_has_a_cooldown_so_deepcall_is_not_hammered(
    supervisor_client, admin_user, sandbox_settings, settings
):
    from django.test import Client

    admin_client = Client()
    admin_client.force_login(admin_user)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    supervisor_client.post(reverse("agent-refresh"))
    assert SyncRun.objects.filter(trigger="button", outcome="succeeded").count() == 1
    calls = sandbox_settings.calls["list"]
    for client in (supervisor_client, admin_client):
        response = client.post(reverse("agent-refresh"), follow=True)
        assert "refreshed from DeepCall moments ago; try again in" in response.content.decode()
    assert SyncRun.objects.filter(trigger="button").count() == 1
    assert sandbox_settings.calls["list"] == calls


@pytest.mark.parametrize(
    "odd_id",
    [
        *("refresh", "export.csv", "a/b", ".", "..", "~7E", "1001,1002", "it's <b>&amp;"),
        *("ज़ेड-7", "50%", "a?b=c", "a#b", "two words", "a+b;c=d", "~/."),
    ],
)
def test_an_id_of_any_characters_is_listed_and_links_to_its_own_page(
    supervisor_client, directory, odd_id
):
    odd = record(odd_id, "Odd Id", address="the odd one")
    read_model_write_listing(AgentListing(agents=(*AGENTS, odd)), now=timezone.now())

    response = get(supervisor_client, {"q": "odd id"})
    assert names(response) == ["Odd Id"]
    link = re.search(r'<a href="(/agents/[^"]+/)"', response.content.decode()).group(1)
    detail = supervisor_client.get(html.unescape(link))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "the odd one" in body and html.escape(odd_id) in body
    # The fixed routes still answer as themselves.
    assert supervisor_client.get(reverse("agent-export")).status_code == 200
    assert supervisor_client.post(reverse("agent-refresh")).status_code == 302
