"""GET changes (a cursor a script follows), GET/PUT staffing-targets (validated as the CSV
import, all or nothing) and GET coverage (the heatmap's figures), each within the team scope
and with the pages' permissions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import AgentChange, CsvExport, Group, StaffingTarget, StaffingTargetChange
from agents.services import staffing_targets as target_service
from agents.services.team_scopes import team_scope_set
from agents.team_scope import TeamScope
from tests.fixtures.agents import make_agent

pytestmark = pytest.mark.django_db

MON_FRI = (0, 1, 2, 3, 4)


def change(agent_id, name, *, groups, field="phone", before="1", after="2", minutes_ago=0):
    return AgentChange.objects.create(
        recorded_at=timezone.now() - timedelta(minutes=minutes_ago),
        agent_id=agent_id,
        agent_name=name,
        kind="changed",
        field=field,
        before=before,
        after=after,
        group_keys=AgentChange.group_keys_for(groups),
    )


# --- changes ---------------------------------------------------------------------------------


def test_a_script_follows_the_history_with_the_cursor(supervisor_api):
    Group.objects.create(group_id="501", name="North")
    first = [change(str(n), f"Agent {n}", groups=["501"], minutes_ago=10 - n) for n in range(3)]
    page = supervisor_api.get("/api/v1/changes", {"per_page": 2}).json()
    assert [c["id"] for c in page["results"]] == [str(first[0].pk), str(first[1].pk)]
    assert page["has_more"] is True
    assert page["results"][0]["description"] == "Phone changed"
    assert (page["results"][0]["before"], page["results"][0]["after_text"]) == ("1", "2")
    rest = supervisor_api.get("/api/v1/changes", {"since": page["next_since"]}).json()
    assert [c["id"] for c in rest["results"]] == [str(first[2].pk)] and not rest["has_more"]
    quiet = supervisor_api.get("/api/v1/changes", {"since": rest["next_since"]}).json()
    assert quiet["results"] == [] and quiet["next_since"] == rest["next_since"]
    later = change("9", "Late Comer", groups=["501"], field="email")
    news = supervisor_api.get("/api/v1/changes", {"since": quiet["next_since"]}).json()
    assert [c["id"] for c in news["results"]] == [str(later.pk)]
    assert CsvExport.objects.filter(path="/api/v1/changes").count() == 4


def test_changes_filter_as_the_history_page_and_refuse_bad_values(supervisor_api):
    Group.objects.create(group_id="501", name="North")
    change("1", "Ann", groups=["501"], field="email")
    change("2", "Bob", groups=["502"])
    assert [
        c["agent_id"]
        for c in supervisor_api.get("/api/v1/changes", {"kind": "email"}).json()["results"]
    ] == ["1"]
    assert [
        c["agent_id"]
        for c in supervisor_api.get("/api/v1/changes", {"agent": "bo"}).json()["results"]
    ] == ["2"]
    for bad in (
        {"since": "abc"},
        {"since": "-1"},
        {"kind": "exploded"},
        {"date_from": "yesterday"},
    ):
        response = supervisor_api.get("/api/v1/changes", bad)
        assert response.status_code == 422, bad
        assert response["Content-Type"] == "application/problem+json"


def test_a_scoped_token_follows_only_its_groups_changes(
    supervisor_user, supervisor_api, admin_user
):
    Group.objects.create(group_id="501", name="North")
    Group.objects.create(group_id="502", name="South")
    change("1", "Ann", groups=["501"])
    change("2", "Bob", groups=["502"])
    team_scope_set(user=supervisor_user, scope=TeamScope.of_groups(["501"]), changed_by=admin_user)
    body = supervisor_api.get("/api/v1/changes").json()
    assert [c["agent_id"] for c in body["results"]] == ["1"]
    assert supervisor_api.get("/api/v1/changes", {"group": "502"}).status_code == 422


# --- staffing targets ------------------------------------------------------------------------


def test_a_manager_replaces_a_groups_targets_and_reads_them_back(manager_api, manager_user):
    make_agent(1, "Ann", groups=["501"])
    target_service.staffing_targets_set(
        group_id="501", slot_minutes=60, values={(2, 600): 9}, user=manager_user
    )
    body = {
        "targets": [
            {"weekday": "Monday", "start": "09:00", "target": 5},
            {"weekday": "Tuesday", "start": "10:00", "target": 0},
        ]
    }
    response = manager_api.put("/api/v1/staffing-targets?group=501&slot=60", body)
    assert response.status_code == 200, response.content
    saved = response.json()
    assert saved["group"] == "501" and saved["slots_changed"] == 3
    assert saved["targets"] == [
        {"weekday": "Monday", "start": "09:00", "target": 5},
        {"weekday": "Tuesday", "start": "10:00", "target": 0},
    ]  # Wednesday's 10:00 was not listed: cleared
    assert (
        manager_api.get("/api/v1/staffing-targets", {"group": "501"}).json()["targets"]
        == saved["targets"]
    )
    logged = StaffingTargetChange.objects.order_by("-id").first()
    assert (logged.action, logged.changed_by) == ("api", manager_user)


def test_bad_targets_are_each_listed_with_the_imports_words_and_nothing_changes(
    manager_api, manager_user
):
    make_agent(1, "Ann", groups=["501"])
    target_service.staffing_targets_set(
        group_id="501", slot_minutes=60, values={(0, 540): 4}, user=manager_user
    )
    body = {
        "targets": [
            {"weekday": "Monday", "start": "09:00", "target": 5},
            {"weekday": "Monday", "start": "09:30", "target": 1},
            {"weekday": "Monday", "start": "09:00", "target": 2},
            {"weekday": "Friday", "start": "11:00", "target": 3},
        ]
    }
    response = manager_api.put("/api/v1/staffing-targets?group=501", body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == "Nothing was changed: 2 of the targets are not valid."
    assert problem["errors"] == [
        {
            "name": "targets.1",
            "message": "09:30 is not the start of an hour (slots start at 09:00, 10:00 …).",
        },
        {
            "name": "targets.2",
            "message": "Monday 09:00 is listed twice (first as targets.0).",
        },
    ]
    for row in (
        {"weekday": "Funday", "start": "09:00", "target": 1},
        {"weekday": "Monday", "start": "9 am", "target": 1},
        {"weekday": "Monday", "start": "09:00", "target": 100_001},
        {"weekday": "Monday", "start": "09:00", "target": -1},
        {"weekday": "Monday", "start": "09:00", "target": "5"},
    ):
        refused = manager_api.put("/api/v1/staffing-targets?group=501", {"targets": [row]})
        assert refused.status_code == 422, row
        assert refused.json()["errors"][0]["name"].startswith("targets.0."), row
    assert list(StaffingTarget.objects.values_list("weekday", "start_minute", "target")) == [
        (0, 540, 4),
        (0, 570, 4),
    ]


def test_targets_permissions_and_scope(supervisor_api, manager_api, manager_user, admin_user):
    make_agent(1, "Ann", groups=["501"])
    make_agent(2, "Bob", groups=["502"])
    assert supervisor_api.get("/api/v1/staffing-targets").status_code == 200
    refused = supervisor_api.put("/api/v1/staffing-targets", {"targets": []})
    assert refused.status_code == 403
    team_scope_set(user=manager_user, scope=TeamScope.of_groups(["501"]), changed_by=admin_user)
    assert manager_api.get("/api/v1/staffing-targets", {"group": "502"}).status_code == 422
    assert manager_api.put("/api/v1/staffing-targets", {"targets": []}).status_code == 422
    assert manager_api.put("/api/v1/staffing-targets?group=501", {"targets": []}).status_code == 200
    assert manager_api.get("/api/v1/staffing-targets", {"slot": 45}).status_code == 422


# --- coverage --------------------------------------------------------------------------------


def test_coverage_counts_active_agents_on_duty_against_the_targets(manager_api, manager_user):
    make_agent(1, "Ann", [(MON_FRI, 540, 1080)], groups=["501"])
    make_agent(2, "Bob", [(MON_FRI, 600, 1080)], groups=["501"])
    make_agent(3, "Cy", [(MON_FRI, 540, 1080)], groups=["501"], active=False)
    make_agent(4, "Di", [(MON_FRI, 540, 1080)], groups=["502"])
    target_service.staffing_targets_set(
        group_id="501", slot_minutes=60, values={(0, 540): 3}, user=manager_user
    )
    body = manager_api.get("/api/v1/coverage", {"group": "501", "slot": 60}).json()
    assert body["active_agents"] == 2 and body["targets_group"] == "501"
    monday_nine = next(
        s for s in body["slots"] if (s["weekday"], s["start"]) == ("Monday", "09:00")
    )
    assert monday_nine == {
        "weekday": "Monday",
        "start": "09:00",
        "on_duty": 1,
        "target": 3,
        "shortfall": 2,
    }
    assert len(body["slots"]) == 7 * 24
    assert len(manager_api.get("/api/v1/coverage", {"slot": 30}).json()["slots"]) == 7 * 48
    assert manager_api.get("/api/v1/coverage", {"slot": 15}).status_code == 422
    assert manager_api.get("/api/v1/coverage", {"status": "asleep"}).status_code == 422
    assert CsvExport.objects.filter(path="/api/v1/coverage").count() == 2
