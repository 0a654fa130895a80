"""Team scopes hold on the server, as the secret-leak sweep holds secrets: a supervisor, a
manager and an admin, each scoped to one group, fetch every URL of the URL configuration
(pages, htmx partials, CSVs; with an agent and a CAD job in and out of their scope, and with
filters that name the other team), and no name, phone, email or id of an agent outside their
scope appears in any answer. Forged POSTs of agents outside the scope are refused, with a
message, and change nothing.
"""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agents.models import (
    AgentChange,
    CadJob,
    CadResult,
    CadSelection,
    SignInEvent,
    StaffingTarget,
    SyncRun,
)
from agents.roles import ADMIN, MANAGER, SUPERVISOR
from agents.services import cad_jobs as cad_service
from agents.services.api_tokens import api_token_issue
from agents.services.team_scopes import team_scope_set
from agents.team_scope import TeamScope
from tests.fixtures.agents import make_agent
from tests.fixtures.users import enrol_second_factor, make_user
from tests.security.test_url_permissions import PATTERNS

pytestmark = pytest.mark.django_db

NORTH, SOUTH = "501", "502"  # the scoped users' group, and the other team's
# Agents of the other team: every one of these strings must stay out of every answer.
OUTSIDE = [
    ("7301", "Oskar Outerfield", "oskar.outerfield@south.example", "+91 98450 73011"),
    ("7302", "Priya Southwell", "priya.southwell@south.example", "+91 98450 73022"),
    ("7303", "Quentin Farshore", "quentin.farshore@south.example", "+91 98450 73033"),
]
INSIDE = [
    ("6101", "Nadia Northcote", "nadia.northcote@north.example", "+91 98450 61011"),
    ("6102", "Ravi Nearbrook", "ravi.nearbrook@north.example", "+91 98450 61022"),
]
# In both teams: in the scope of a user of either.
BOTH = ("6103", "Mira Twofold", "mira.twofold@both.example", "+91 98450 61033")
WEEKDAYS_9_TO_5 = [((0, 1, 2, 3, 4), 9 * 60, 17 * 60)]


def _agent(agent_id, name, email, phone, groups):
    agent = make_agent(agent_id, name, WEEKDAYS_9_TO_5, groups=groups)
    agent.email, agent.phone = email, phone
    agent.search_text = f"{name} {email} {phone} {agent_id}".lower()
    agent.save()
    return agent


def _change(agent_id, name, groups, *, field="phone", before="old", after="new"):
    AgentChange.objects.create(
        recorded_at=timezone.now() - timedelta(hours=1),
        agent_id=agent_id,
        agent_name=name,
        kind=AgentChange.Kind.CHANGED,
        field=field,
        before=before,
        after=after,
        group_keys=AgentChange.group_keys_for(groups),
    )


def _finished_job(user, key, agents, *, outcome=CadResult.Outcome.SUCCEEDED):
    job = CadJob.objects.create(
        idempotency_key=key,
        action=CadJob.Action.ENABLE,
        created_by=user,
        agent_ids=[agent_id for agent_id, *_ in agents],
        total=len(agents),
        succeeded=len(agents),
        status=CadJob.Status.SUCCEEDED,
        filter_description="agents picked one by one",
    )
    CadResult.objects.bulk_create(
        CadResult(
            job=job,
            agent_id=agent_id,
            agent_name=name,
            outcome=outcome,
            state_before=CadResult.Before.OFF,
        )
        for agent_id, name, *_ in agents
    )
    return job


@pytest.fixture
def teams(settings, django_user_model):
    """Two teams' agents, their change history, CAD jobs and targets; an unscoped admin who
    ran the jobs, and a supervisor, a manager and an admin scoped to the north team."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.DEEPCALL_SYNC_TTL = 10**9
    settings.DEEPCALL_API_URL = "http://127.0.0.1:9"  # the status check fails fast
    for agent_id, name, email, phone in OUTSIDE:
        _agent(agent_id, name, email, phone, [SOUTH])
        _change(agent_id, name, [SOUTH], before=phone, after=phone + "9")
    for agent_id, name, email, phone in INSIDE:
        _agent(agent_id, name, email, phone, [NORTH])
        _change(agent_id, name, [NORTH])
    _agent(*BOTH, [NORTH, SOUTH])
    # A removal names the agent and its groups before it left.
    AgentChange.objects.create(
        recorded_at=timezone.now(),
        agent_id="7399",
        agent_name="Gone Southbound",
        kind=AgentChange.Kind.REMOVED,
        group_keys=AgentChange.group_keys_for([SOUTH]),
    )
    StaffingTarget.objects.create(group_id=SOUTH, weekday=0, start_minute=600, target=7)
    StaffingTarget.objects.create(group_id="", weekday=0, start_minute=600, target=9)
    boss = make_user(django_user_model, "olga.owner", ADMIN)
    # The other team's admin signs in with her email, which is also an agent's of that team.
    south_lead = make_user(django_user_model, OUTSIDE[1][2], ADMIN)
    team_scope_set(user=south_lead, scope=TeamScope.of_groups([SOUTH]), changed_by=boss)
    mixed = _finished_job(boss, "mixed-job", [*INSIDE, *OUTSIDE])
    south_only = _finished_job(
        south_lead, "south-job", OUTSIDE[:2], outcome=CadResult.Outcome.FAILED
    )
    users = {}
    for role, username in ((SUPERVISOR, "sue.north"), (MANAGER, "max.north"), (ADMIN, "abe.north")):
        user = make_user(django_user_model, username, role)
        if role == ADMIN:
            enrol_second_factor(user)
        team_scope_set(user=user, scope=TeamScope.of_groups([NORTH]), changed_by=boss)
        users[role] = user
        SignInEvent.objects.create(user=user, username=username, kind="signed_in", method="code")
    # Her sign-in, and a failed one naming another agent of that team.
    SignInEvent.objects.create(user=south_lead, username=OUTSIDE[1][2], kind="signed_in")
    SignInEvent.objects.create(username=OUTSIDE[0][2], kind="failed", method="password")
    return {
        "users": users,
        "boss": boss,
        "south_lead": south_lead,
        "mixed": mixed,
        "south_only": south_only,
    }


def _outside_strings() -> list[str]:
    strings = ["Gone Southbound"]
    for agent_id, name, email, phone in OUTSIDE:
        strings += [name, email, phone, f"/agents/{agent_id}/", f'"id": "{agent_id}"']
        strings.append(f'"agent_id": "{agent_id}"')
    return strings


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


# Query strings that ask for the other team by name, group or search, per URL name.
ASKING_FOR_OUTSIDE = {
    "agent-list": ["?q=oskar", f"?group={SOUTH}", "?sort=-name&per_page=100", "?page=2"],
    "agent-export": ["", f"?group={SOUTH}", "?q=south.example"],
    "change-list": ["?agent=7301", f"?group={SOUTH}", "?kind=removed"],
    "change-export": ["", f"?group={SOUTH}"],
    "schedules": ["", f"?group={SOUTH}"],
    "schedules-coverage-csv": ["", f"?group={SOUTH}"],
    "schedules-slot": ["?slot_day=0&slot_minute=600", f"?group={SOUTH}&slot_day=0&slot_minute=600"],
    "schedules-targets": ["", f"?group={SOUTH}", "?group="],
    "schedules-targets-csv": ["", f"?group={SOUTH}"],
    # The API, asked with the user's own token.
    "api-v1:agent_list": ["", "?q=oskar", f"?group={SOUTH}", "?sort=-name&per_page=500"],
    "api-v1:change_list": ["", "?agent=7301", f"?group={SOUTH}", "?kind=removed"],
    "api-v1:coverage_get": ["", f"?group={SOUTH}"],
    "api-v1:targets_get": ["", f"?group={SOUTH}"],
    "api-v1:cad_job_results": ["", "?per_page=500", "?outcome=failed"],
}


def _urls(teams) -> list[str]:
    """Every URL pattern with each sample its converters take, in and out of the scope."""
    samples = {
        "agent_id": [INSIDE[0][0], OUTSIDE[0][0], BOTH[0], "7399"],
        "public_id": [teams["mixed"].public_id, teams["south_only"].public_id],
        "user_id": [teams["boss"].pk, teams["south_lead"].pk],
        "job_id": [teams["mixed"].public_id, teams["south_only"].public_id],
        "token_id": [api_token_issue(user=teams["boss"], name="boss's").record.pk],
    }
    urls = []
    for key, (pattern, _route) in sorted(PATTERNS.items()):
        names = list(pattern.pattern.converters)
        combos = [{}]
        for name in names:
            combos = [{**combo, name: value} for combo in combos for value in samples[name]]
        for kwargs in combos:
            url = reverse(key, kwargs=kwargs)
            urls += [url + query for query in ASKING_FOR_OUTSIDE.get(key, [""])]
    return urls


@pytest.mark.parametrize("role", [SUPERVISOR, MANAGER, ADMIN])
def test_no_agent_outside_the_scope_appears_at_any_url(client, teams, role):
    client.force_login(teams["users"][role])
    token = api_token_issue(user=teams["users"][role], name="sweep").token
    urls = _urls(teams)
    assert len(urls) > len(PATTERNS)
    outside = _outside_strings()
    readiness = reverse("readyz")  # 503 by design: no task worker runs during these tests
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}, {"Authorization": f"Bearer {token}"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500 or url == readiness, url
            body = _body(response)
            leaked = [text for text in outside if text in body]
            assert not leaked, f"{role} saw {leaked} at {url} {headers}"


@pytest.mark.parametrize("role", [SUPERVISOR, MANAGER, ADMIN])
def test_agents_outside_the_scope_answer_404_and_those_inside_show(client, teams, role):
    client.force_login(teams["users"][role])
    for agent_id, name, *_ in [*INSIDE, BOTH]:
        response = client.get(reverse("agent-detail", args=[agent_id]))
        assert response.status_code == 200
        assert name in response.content.decode()
    for agent_id, *_ in OUTSIDE:
        assert client.get(reverse("agent-detail", args=[agent_id])).status_code == 404


def test_the_directory_counts_and_lists_only_the_scope(client, teams):
    client.force_login(teams["users"][SUPERVISOR])
    body = client.get(reverse("agent-list")).content.decode()
    for _, name, *_ in [*INSIDE, BOTH]:
        assert name in body
    assert "<strong>3</strong> of 3 agents" in body
    home = client.get(reverse("home")).content.decode()
    assert "G502" not in home  # the other team's group is not among the home page's groups
    rows = _body(client.get(reverse("agent-export"))).strip().splitlines()
    assert len(rows) == 1 + len(INSIDE) + 1


def test_the_group_filter_offers_only_the_scope(client, teams):
    client.force_login(teams["users"][SUPERVISOR])
    body = client.get(reverse("agent-list")).content.decode()
    assert f'value="{NORTH}"' in body
    assert f'value="{SOUTH}"' not in body
    # Asking for the other team's group is refused as an unknown choice, and says so.
    asked = client.get(reverse("agent-list") + f"?group={SOUTH}").content.decode()
    assert "Ignored groups" in asked


def test_a_job_with_agents_outside_the_scope_shows_only_those_inside(client, teams):
    client.force_login(teams["users"][MANAGER])
    mixed = teams["mixed"]
    body = client.get(reverse("cad-job-detail", args=[mixed.public_id])).content.decode()
    for _, name, *_ in INSIDE:
        assert name in body
    assert "3 more agents of this job are outside the groups you are responsible for" in body
    south = teams["south_only"].public_id
    assert client.get(reverse("cad-job-detail", args=[south])).status_code == 404
    jobs = client.get(reverse("cad-job-list")).content.decode()
    assert str(mixed.public_id)[:8] in jobs
    assert str(south)[:8] not in jobs


def test_scoped_managers_see_and_edit_only_their_groups_targets(client, teams):
    client.force_login(teams["users"][MANAGER])
    page = client.get(reverse("schedules-targets")).content.decode()
    assert "Overall (all agents)" not in page
    assert f'value="{NORTH}"' in page and f'value="{SOUTH}"' not in page
    save = client.post(
        reverse("schedules-targets-save") + f"?group={NORTH}&slot=60", {"t-0-600": "4"}
    )
    assert save.status_code == 302
    assert StaffingTarget.objects.get(group_id=NORTH, start_minute=600).target == 4


TARGET_CHANGES = {
    "schedules-targets-save": {"t-0-600": "1"},
    "schedules-targets-fill": {"weekdays": ["0"], "start": "09:00", "end": "17:00", "target": "1"},
    "schedules-targets-copy-monday": {},
    "schedules-targets-clear": {},
}


@pytest.mark.parametrize("url_name", [*TARGET_CHANGES, "schedules-targets-import"])
@pytest.mark.parametrize("group", [SOUTH, "", "no-such-group"])
def test_targets_posted_for_a_group_outside_the_scope_are_refused_and_nothing_saved(
    client, teams, url_name, group
):
    """Another team's group, none (the overall targets) or an unknown one: refused with why,
    as a forged agent id is, and saved neither there nor in the group the page falls back to."""
    client.force_login(teams["users"][MANAGER])
    before = sorted(
        StaffingTarget.objects.values_list("group_id", "weekday", "start_minute", "target")
    )
    query = f"?group={group}&slot=60" if group else "?slot=60"
    if url_name == "schedules-targets-import":
        upload = SimpleUploadedFile("t.csv", b"weekday,start,target\nMonday,10:00,1\n", "text/csv")
        data = {"file": upload}
    else:
        data = TARGET_CHANGES[url_name]
    response = client.post(reverse(url_name) + query, data)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Refused:" in body and "Nothing was saved." in body
    if group == SOUTH:
        assert f"group #{SOUTH} is not one of the groups you are responsible for" in body
    after = sorted(
        StaffingTarget.objects.values_list("group_id", "weekday", "start_minute", "target")
    )
    assert after == before
    assert not StaffingTarget.objects.filter(group_id=NORTH).exists()


def test_an_unscoped_manager_posting_an_unknown_group_is_refused_not_saved_overall(
    client, teams, django_user_model
):
    client.force_login(make_user(django_user_model, "mia.everywhere", MANAGER))
    response = client.post(
        reverse("schedules-targets-save") + "?group=no-such-group&slot=60", {"t-0-600": "1"}
    )
    assert response.status_code == 403
    assert "there is no group #no-such-group" in response.content.decode()
    assert StaffingTarget.objects.get(group_id="", start_minute=600).target == 9


def test_the_heatmap_and_its_csv_ignore_another_teams_group_and_show_no_foreign_targets(
    client, teams
):
    """Asked for the other team's group, the heatmap says it ignored it and shows the scope's
    agents only, measured against no target (neither that group's 7 nor the overall 9)."""
    client.force_login(teams["users"][MANAGER])
    page = client.get(reverse("schedules") + f"?group={SOUTH}").content.decode()
    assert "Ignored groups" in page
    rows = _body(client.get(reverse("schedules-coverage-csv") + f"?group={SOUTH}")).splitlines()
    monday_ten = next(row for row in rows if row.startswith('"Monday","10:00"'))
    assert monday_ten == '"Monday","10:00","3","",""'  # two north agents and the shared one


# --- what other users typed ------------------------------------------------------------------


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    _body(response)  # not closed: closing a download closes the test's database connection


def test_a_scoped_admin_sees_only_the_exports_made_within_their_scope(client, teams):
    """Another admin's export filter may name agents outside the scope: a scoped admin sees
    the exports made within their scope (their own, their team's), as a job's filter text."""
    boss = teams["boss"]
    enrol_second_factor(boss)
    client.force_login(boss)
    _download(client, reverse("agent-export") + "?q=oskar.outerfield")
    client.force_login(teams["users"][SUPERVISOR])
    _download(client, reverse("agent-export") + "?q=nadia")
    client.force_login(teams["users"][ADMIN])
    _download(client, reverse("change-export"))
    page = client.get(reverse("csv-export-list")).content.decode()
    assert "q=nadia" in page and "sue.north" in page and "abe.north" in page
    assert "oskar" not in page
    assert "olga.owner" not in page  # nor among the "Who" filter's choices
    assert "<strong>2</strong> exports" in page
    # The admin with the whole account sees every export.
    client.force_login(boss)
    page = client.get(reverse("csv-export-list")).content.decode()
    assert "q=oskar.outerfield" in page and "q=nadia" in page
    assert "<strong>3</strong> exports" in page


def test_a_job_made_with_a_wider_scope_shows_a_scoped_viewer_no_filter_text(client, teams):
    """The mixed job was made by an admin with the whole account, searching for the other
    team: its agents in scope and the count of the rest show, its search text does not. A
    job made within the viewer's scope shows its text."""
    mixed = teams["mixed"]
    CadJob.objects.filter(pk=mixed.pk).update(filter_description="text “oskar”, group South")
    own, _ = cad_service.cad_job_create(
        user=teams["users"][ADMIN],
        action="disable",
        agent_ids=[INSIDE[1][0]],
        idempotency_key="north-own",
        filter_description="text “ravi”",
    )
    for role in (MANAGER, ADMIN):
        client.force_login(teams["users"][role])
        detail = client.get(reverse("cad-job-detail", args=[mixed.public_id])).content.decode()
        assert INSIDE[0][1] in detail
        assert "3 more agents of this job are outside the groups" in detail
        assert "oskar" not in detail and "group South" not in detail
        assert "selection not shown: made for groups beyond yours" in detail
        jobs = client.get(reverse("cad-job-list")).content.decode()
        assert "oskar" not in jobs and "group South" not in jobs
        assert "text “ravi”" in jobs
        own_page = client.get(reverse("cad-job-detail", args=[own.public_id])).content.decode()
        assert "text “ravi”" in own_page
    enrol_second_factor(teams["boss"])
    client.force_login(teams["boss"])
    detail = client.get(reverse("cad-job-detail", args=[mixed.public_id])).content.decode()
    assert "text “oskar”, group South" in detail


# --- people ----------------------------------------------------------------------------------


def test_a_scoped_admin_sees_and_manages_only_the_users_of_their_scope(client, teams):
    """The users page and the sign-in record list the users whose scope the admin's holds:
    not the whole account's owner, not the other team's lead (whose username is an outside
    agent's email), not a failed sign-in's typed name. Disabling one of them answers 404."""
    client.force_login(teams["users"][ADMIN])
    users = client.get(reverse("user-list")).content.decode()
    assert "sue.north" in users and "max.north" in users and "abe.north" in users
    assert "olga.owner" not in users and "south.example" not in users
    sign_ins = client.get(reverse("sign-in-list")).content.decode()
    assert "sue.north" in sign_ins
    assert "south.example" not in sign_ins and "olga.owner" not in sign_ins
    for other in (teams["south_lead"], teams["boss"]):
        response = client.post(reverse("user-disable", args=[other.pk]))
        assert response.status_code == 404
        other.refresh_from_db()
        assert other.is_active
    response = client.post(reverse("user-disable", args=[teams["users"][SUPERVISOR].pk]))
    assert response.status_code == 302
    # The admin with the whole account sees everyone, and every sign-in.
    enrol_second_factor(teams["boss"])
    client.force_login(teams["boss"])
    sign_ins = client.get(reverse("sign-in-list")).content.decode()
    assert OUTSIDE[1][2] in sign_ins and OUTSIDE[0][2] in sign_ins


def test_the_home_page_shows_a_scoped_user_no_account_wide_counts(client, teams):
    now = timezone.now()
    SyncRun.objects.create(
        started_at=now,
        finished_at=now,
        outcome="succeeded",
        agent_count=98765,
        message="4321 new, 0 changed, 0 removed, 94444 unchanged.",
    )
    client.force_login(teams["users"][SUPERVISOR])
    home = client.get(reverse("home")).content.decode()
    assert "98,765" not in home and "4321 new" not in home
    assert '<span class="stat-value">3</span>' in home  # the scope's own agents
    client.force_login(teams["users"][MANAGER])
    partial = client.get(reverse("home"), headers={"HX-Request": "true"}).content.decode()
    assert "98,765" not in partial


def test_the_status_page_shows_a_scoped_admin_no_account_wide_counts(client, teams):
    """Nor how many agents the account's syncs read, nor the other team's waiting CAD jobs;
    the admin with the whole account sees both."""
    now = timezone.now()
    SyncRun.objects.create(
        started_at=now - timedelta(hours=1), finished_at=now, outcome="succeeded", agent_count=98765
    )
    client.force_login(teams["users"][ADMIN])
    status = client.get(reverse("upstream-status")).content.decode()
    assert "Succeeded, 1" in status and "98765" not in status  # the last sync's own line
    SyncRun.objects.create(started_at=now, finished_at=now, outcome="failed")
    CadJob.objects.create(
        idempotency_key="south-waiting",
        action=CadJob.Action.ENABLE,
        created_by=teams["south_lead"],
        agent_ids=[agent_id for agent_id, *_ in OUTSIDE],
        total=len(OUTSIDE),
        status=CadJob.Status.QUEUED,
        filter_description="agents picked one by one",
    )
    status = client.get(reverse("upstream-status")).content.decode()
    assert "Last good sync" in status
    assert "98765" not in status
    assert "No worker is running: CAD jobs and syncs start when one does." in status
    enrol_second_factor(teams["boss"])
    client.force_login(teams["boss"])
    status = client.get(reverse("upstream-status")).content.decode()
    assert "(98765 agents)" in status
    assert "the 1 CAD job waiting starts when one does" in status


# --- forged POSTs ---------------------------------------------------------------------------


def test_a_forged_selection_of_agents_outside_the_scope_is_refused(client, teams):
    client.force_login(teams["users"][ADMIN])
    response = client.post(
        reverse("cad-selection"),
        {"op": "update", "query": "", "add": json.dumps([OUTSIDE[0][0]]), "remove": "[]"},
    )
    assert response.status_code == 403
    assert "not in the groups you are responsible for" in response.content.decode()
    assert all(OUTSIDE[0][0] not in row.agent_ids for row in CadSelection.objects.all())


def test_a_forged_job_start_with_agents_outside_the_scope_is_refused(client, teams):
    client.force_login(teams["users"][ADMIN])
    forged = [INSIDE[0][0], OUTSIDE[0][0]]
    response = client.post(
        reverse("cad-job-start"),
        {"action": "enable", "agent_ids": json.dumps(forged), "idempotency_key": "f" * 32},
        follow=True,
    )
    assert "not in the groups you are responsible for" in response.content.decode()
    assert not CadJob.objects.filter(idempotency_key="f" * 32).exists()
    confirm = client.post(
        reverse("cad-job-confirm"),
        {"action": "enable", "query": "", "agent_id": [OUTSIDE[1][0]]},
        follow=True,
    )
    assert "not in the groups you are responsible for" in confirm.content.decode()
    assert OUTSIDE[1][1] not in confirm.content.decode()


def test_the_job_service_refuses_agents_outside_its_authors_scope(teams):
    with pytest.raises(cad_service.CadJobRefused, match="not in the groups"):
        cad_service.cad_job_create(
            user=teams["users"][ADMIN],
            action="enable",
            agent_ids=[INSIDE[0][0], OUTSIDE[0][0]],
            idempotency_key="service-forged",
        )
    assert not CadJob.objects.filter(idempotency_key="service-forged").exists()


def test_select_all_matching_starts_a_job_for_the_scope_only(client, teams):
    client.force_login(teams["users"][ADMIN])
    client.post(reverse("cad-selection"), {"op": "all_matching", "query": ""})
    response = client.post(
        reverse("cad-job-start"),
        {
            "action": "disable",
            "all_matching": "on",
            "all_matching_query": "",
            "excluded_ids": "[]",
            "idempotency_key": "a" * 32,
        },
    )
    assert response.status_code == 302
    job = CadJob.objects.get(idempotency_key="a" * 32)
    assert sorted(job.agent_ids) == sorted([*(a[0] for a in INSIDE), BOTH[0]])


def test_undo_and_retry_act_only_inside_the_scope(client, teams):
    client.force_login(teams["users"][ADMIN])
    mixed = teams["mixed"]
    client.post(reverse("cad-job-undo", args=[mixed.public_id]), {"idempotency_key": "b" * 32})
    undo = CadJob.objects.get(idempotency_key="b" * 32)
    assert sorted(undo.agent_ids) == sorted(a[0] for a in INSIDE)
    south = teams["south_only"]
    retry = client.post(
        reverse("cad-job-retry", args=[south.public_id]), {"idempotency_key": "c" * 32}
    )
    assert retry.status_code == 404
    assert not CadJob.objects.filter(idempotency_key="c" * 32).exists()
