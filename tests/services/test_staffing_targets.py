"""Two managers saving at once. Runs on SQLite and, in CI's second pass, on PostgreSQL, where
row locks alone cannot cover a slot that nobody has set yet."""

import time

import pytest

from agents.models import StaffingTarget, StaffingTargetChange
from agents.services import staffing_targets as targets_module
from agents.services.staffing_targets import OVERALL, staffing_targets, staffing_targets_set
from tests.services.conftest import run_at_once

MONDAY_NINE = (0, 9 * 60)


@pytest.mark.django_db(transaction=True)
def test_two_managers_setting_the_same_new_slot_at_once_both_succeed(manager_user, monkeypatch):
    # Each save pauses between reading the targets and writing them, so the two overlap.
    at_slot_size = targets_module.targets_at_slot_size

    def slowly(*args, **kwargs):
        time.sleep(0.3)
        return at_slot_size(*args, **kwargs)

    monkeypatch.setattr(targets_module, "targets_at_slot_size", slowly)
    values = iter([12, 30])

    def save():
        return staffing_targets_set(
            group_id=OVERALL, slot_minutes=60, values={MONDAY_NINE: next(values)}, user=manager_user
        )

    results, errors = run_at_once(save)

    assert errors == []
    assert sorted(results) == [1, 1]
    assert staffing_targets(group_id=OVERALL, slot_minutes=60)[MONDAY_NINE] in {12, 30}
    assert StaffingTarget.objects.filter(weekday=0, start_minute=9 * 60).count() == 1
    assert StaffingTargetChange.objects.count() == 2
