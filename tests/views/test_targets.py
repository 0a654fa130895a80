"""The staffing targets pages over HTTP: the grid, its helpers, CSV in and out, roles, the log."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agents.models import Group, StaffingTarget, StaffingTargetChange
from agents.services import staffing_targets as target_service

GRID_URL = reverse("schedules-targets")
SAVE_URL = reverse("schedules-targets-save")
CSV_URL = reverse("schedules-targets-csv")
FILL_URL = reverse("schedules-targets-fill")
COPY_URL = reverse("schedules-targets-copy-monday")
CLEAR_URL = reverse("schedules-targets-clear")
IMPORT_URL = reverse("schedules-targets-import")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@pytest.fixture
def billing(db):
    return Group.objects.create(group_id="77", name="Billing")


def stored(group_id: str = "") -> dict[tuple[int, int], int]:
    return {
        (t.weekday, t.start_minute): t.target
        for t in StaffingTarget.objects.filter(group_id=group_id)
    }


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("targets.csv", text.encode(), content_type="text/csv")


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", ["supervisor_client", "manager_client", "admin_client"])
def test_every_role_may_view_the_grid_and_download_it(request, role_client):
    client = request.getfixturevalue(role_client)
    assert client.get(GRID_URL).status_code == 200
    assert client.get(CSV_URL).status_code == 200


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (SAVE_URL, {"t-0-540": "5"}),
        (FILL_URL, {"weekdays": ["0"], "start": "540", "end": "600", "target": "5"}),
        (COPY_URL, {}),
        (CLEAR_URL, {}),
        (IMPORT_URL, {}),
    ],
)
def test_a_supervisor_may_not_change_targets(supervisor_client, url, data):
    StaffingTarget.objects.create(weekday=MON, start_minute=540, target=3)
    assert supervisor_client.post(url, data).status_code == 403
    assert stored() == {(MON, 540): 3}
    assert not StaffingTargetChange.objects.exists()


def test_a_supervisor_sees_the_grid_read_only_and_no_change_log(supervisor_client):
    html = supervisor_client.get(GRID_URL).content.decode()
    assert "readonly" in html
    assert "Save targets" not in html
    assert "Recent changes of targets" not in html
    assert "Import a CSV file" not in html


def test_a_user_without_role_is_refused(client, nobody_user):
    client.force_login(nobody_user)
    assert client.get(GRID_URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403


# --- the grid --------------------------------------------------------------------------------


def test_manager_saves_the_grid_and_the_change_is_logged(manager_client, manager_user):
    response = manager_client.post(f"{SAVE_URL}?slot=60", {"t-0-540": "40", "t-1-600": "0"})
    assert response.status_code == 302
    assert stored() == {(MON, 540): 40, (MON, 570): 40, (TUE, 600): 0, (TUE, 630): 0}
    change = StaffingTargetChange.objects.get()
    assert (change.changed_by, change.group_id, change.slots_changed, change.action) == (
        manager_user,
        "",
        2,
        "grid",
    )
    page = manager_client.get(response["Location"])
    html = page.content.decode()
    assert "Saved: 2 hour slots changed." in html
    assert 'name="t-0-540"' in html and 'value="40"' in html
    assert "maya.manager" in html and "Edited the grid" in html


def test_saving_an_hourly_grid_keeps_half_hours_nobody_touched(admin_client):
    StaffingTarget.objects.bulk_create(
        [
            StaffingTarget(weekday=WED, start_minute=540, target=10),
            StaffingTarget(weekday=WED, start_minute=570, target=12),
        ]
    )
    # The hourly grid shows the busier half (12) and posts it back unchanged.
    assert manager_grid_value(admin_client, "t-2-540") == "12"
    admin_client.post(f"{SAVE_URL}?slot=60", {"t-2-540": "12", "t-0-0": "1"})
    assert stored()[(WED, 540)] == 10 and stored()[(WED, 570)] == 12


def manager_grid_value(client, name: str) -> str:
    form = client.get(GRID_URL).context["grid_form"]
    return str(form[name].value())


def test_half_hour_grid_sets_one_half(manager_client):
    manager_client.post(f"{SAVE_URL}?slot=30", {"t-4-570": "7"})
    assert stored() == {(FRI, 570): 7}


def test_an_invalid_cell_saves_nothing_and_says_which(manager_client):
    response = manager_client.post(SAVE_URL, {"t-0-540": "5", "t-3-600": "-2", "t-6-60": "lots"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert "Target for Thursday 10:00–11:00" in html
    assert "Target for Sunday 01:00–02:00" in html
    assert 'aria-invalid="true"' in html
    assert stored() == {}


def test_group_targets_are_separate_from_overall(manager_client, billing):
    manager_client.post(f"{SAVE_URL}?group=77", {"t-0-540": "9"})
    assert stored("77") == {(MON, 540): 9, (MON, 570): 9}
    assert stored() == {}
    assert StaffingTargetChange.objects.get().group_name == "Billing (#77)"
    html = manager_client.get(GRID_URL, {"group": "77"}).content.decode()
    assert "Staffing targets: Billing (#77)" in html


def test_unknown_group_or_slot_falls_back_with_a_message(manager_client):
    response = manager_client.get(GRID_URL, {"group": "nope", "slot": "45"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is no group with that id" in html
    assert "showing hours" in html
    assert response.context["group_id"] == "" and response.context["slot_minutes"] == 60


# --- helpers ---------------------------------------------------------------------------------


def test_fill_a_range_then_copy_monday_then_clear(manager_client):
    manager_client.post(
        FILL_URL + "?slot=60",
        {"weekdays": [str(MON)], "start": "540", "end": "720", "target": "20"},
    )
    assert stored() == {(MON, m): 20 for m in range(540, 720, 30)}
    manager_client.post(COPY_URL + "?slot=60")
    assert stored() == {(d, m): 20 for d in (MON, TUE, WED, THU, FRI) for m in range(540, 720, 30)}
    manager_client.post(CLEAR_URL + "?slot=60")
    assert stored() == {}
    actions = list(StaffingTargetChange.objects.values_list("action", "slots_changed"))
    assert actions == [("clear", 15), ("copy_monday", 12), ("fill", 3)]


def test_fill_with_an_empty_target_clears_the_range(manager_client):
    manager_client.post(
        FILL_URL, {"weekdays": ["0", "1"], "start": "0", "end": "1440", "target": "4"}
    )
    manager_client.post(FILL_URL, {"weekdays": ["1"], "start": "0", "end": "1440", "target": ""})
    assert set(stored()) == {(MON, m) for m in range(0, 1440, 30)}


def test_fill_refuses_a_backwards_range(manager_client):
    response = manager_client.post(
        FILL_URL, {"weekdays": ["0"], "start": "600", "end": "540", "target": "3"}
    )
    assert response.status_code == 200
    assert "“Until” must be later than “From”." in response.content.decode()
    assert stored() == {}


# --- CSV -------------------------------------------------------------------------------------


def test_export_then_import_round_trips(manager_client, billing):
    manager_client.post(f"{SAVE_URL}?group=77&slot=30", {"t-0-540": "3", "t-6-1410": "1"})
    exported = manager_client.get(CSV_URL, {"group": "77", "slot": "30"})
    assert exported["Content-Disposition"] == 'attachment; filename="targets-77.csv"'
    rows = read_csv(exported)
    assert rows == [
        ["weekday", "start time", "target"],
        ["Monday", "09:00", "3"],
        ["Sunday", "23:30", "1"],
    ]
    manager_client.post(CLEAR_URL + "?group=77")
    response = manager_client.post(
        IMPORT_URL + "?group=77&slot=30", {"file": upload(exported.content.decode())}
    )
    assert response.status_code == 302
    assert stored("77") == {(MON, 540): 3, (SUN, 1410): 1}


def test_import_replaces_the_groups_targets(manager_client):
    StaffingTarget.objects.create(weekday=SAT, start_minute=600, target=8)
    csv_text = "weekday,start time,target\nMonday,09:00,12\ntuesday,10:00,\n"
    response = manager_client.post(IMPORT_URL, {"file": upload(csv_text)})
    assert response.status_code == 302
    assert stored() == {(MON, 540): 12, (MON, 570): 12}
    change = StaffingTargetChange.objects.get()
    assert (change.action, change.slots_changed) == ("import", 2)


def test_a_bad_file_changes_nothing_and_says_row_by_row_what_is_wrong(manager_client):
    StaffingTarget.objects.create(weekday=SAT, start_minute=600, target=8)
    csv_text = (
        "weekday,start time,target\n"
        "Monday,09:00,12\n"  # fine
        "Funday,09:00,3\n"  # unknown weekday
        "Tuesday,09:30,3\n"  # not on an hour
        "Wednesday,09:00,-1\n"  # negative
        "Thursday,09:00,many\n"  # not a number
        "monday,09:00,4\n"  # duplicate of line 2
        "Friday,9am,4\n"  # not a time
        "Friday,10:00\n"  # missing column
    )
    response = manager_client.post(IMPORT_URL + "?slot=60", {"file": upload(csv_text)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The file was not imported and no target changed." in html
    for expected in [
        "Line 3: unknown weekday “Funday”",
        "Line 4: 09:30 is not the start of an hour",
        "Line 5: target -1 is negative",
        "Line 6: target “many” is not a whole number",
        "Line 7: Monday 09:00 is listed twice (first on line 2)",
        "Line 8: “9am” is not a time",
        "Line 9: expected 3 columns",
    ]:
        assert expected in html, expected
    assert "Line 2" not in html
    assert stored() == {(SAT, 600): 8}
    assert not StaffingTargetChange.objects.exists()


def test_half_hour_import_accepts_half_hours(manager_client):
    response = manager_client.post(
        IMPORT_URL + "?slot=30", {"file": upload("weekday,start_time,target\nTuesday,09:30,3\n")}
    )
    assert response.status_code == 302
    assert stored() == {(TUE, 570): 3}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),  # Django refuses an empty upload itself
        (b"day,time,count\nMonday,09:00,1\n", "The first line must be the header"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        # Odd files: each answered row by row, never with a server error.
        (b"weekday,start time,target\nMonday,09:00," + b"x" * 140_000 + b"\n", "Line 2: a cell"),
        ("weekday,start time,target\nMonday,09:00,²\n".encode(), "Line 2: target “²”"),
        ("weekday,start time,target\nMonday,09:00,٣\n".encode(), "Line 2: target “٣”"),
        (b"weekday,start time,target\nMonday,09:00," + b"9" * 5000 + b"\n", "Line 2: target 9"),
        (b"weekday,start time,target\nMonday,09:00,1\x00\n", "Line 2: contains a NUL"),
        (b"\xef\xbb\xbf", "Line 1: The file is empty."),
    ],
)
def test_unreadable_or_odd_files_are_refused_with_a_message(manager_client, content, message):
    file = SimpleUploadedFile("t.csv", content, content_type="text/csv")
    response = manager_client.post(IMPORT_URL, {"file": file})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The file was not imported and no target changed." in html
    assert message in html
    assert stored() == {}


def test_a_file_too_large_is_refused(manager_client):
    big = "weekday,start time,target\n" + "Monday,09:00,1\n" * 20_000
    response = manager_client.post(IMPORT_URL, {"file": upload(big)})
    assert "at most 256 kB" in response.content.decode()
    assert stored() == {}


def test_import_without_a_file_says_so(manager_client):
    response = manager_client.post(IMPORT_URL, {})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()


def test_service_reads_hours_as_the_busier_half(db):
    StaffingTarget.objects.bulk_create(
        [
            StaffingTarget(weekday=MON, start_minute=570, target=6),
            StaffingTarget(weekday=MON, start_minute=600, target=2),
        ]
    )
    assert target_service.staffing_targets(group_id="", slot_minutes=60) == {
        (MON, 540): 6,
        (MON, 600): 2,
    }
