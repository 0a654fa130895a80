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
from django.urls import reverse
from django.utils import timezone

from agents.models import AgentChange, CadJob, CadResult, CadSelection, StaffingTarget
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
    mixed = _finished_job(boss, "mixed-job", [*INSIDE, *OUTSIDE])
    south_only = _finished_job(boss, "south-job", OUTSIDE[:2], outcome=CadResult.Outcome.FAILED)
    users = {}
    for role, username in ((SUPERVISOR, "sue.north"), (MANAGER, "max.north"), (ADMIN, "abe.north")):
        user = make_user(django_user_model, username, role)
        if role == ADMIN:
            enrol_second_factor(user)
        team_scope_set(user=user, scope=TeamScope.of_groups([NORTH]), changed_by=boss)
        users[role] = user
    return {"users": users, "boss": boss, "mixed": mixed, "south_only": south_only}


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
        "user_id": [teams["boss"].pk],
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
        reverse("schedules-targets-save") + f"?group={SOUTH}&slot=60", {"t-0-600": "1"}
    )
    assert save.status_code in (200, 302)
    assert StaffingTarget.objects.get(group_id=SOUTH, start_minute=600).target == 7
    assert StaffingTarget.objects.get(group_id="", start_minute=600).target == 9


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
