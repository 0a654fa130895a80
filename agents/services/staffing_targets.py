"""Staffing targets: how many agents each slot of the week needs, and where coverage falls short.

Targets are kept per half hour (`StaffingTarget`), overall (`group_id` "") or per group. A
page working in hours reads an hour's target as the larger of its halves (the hour needs that
many at its busiest), and writing an hour sets both halves. Every operation works out the
group's whole new set of half-hour targets, and `_targets_replace` writes only what differs,
in one transaction, with one `StaffingTargetChange` saying how many slots changed.

Shortfall = max(0, target − on duty), per slot, where "on duty" is the heatmap's own count
(`services.coverage.coverage_for`); slots without a target have no shortfall.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.functional import cached_property

from agents import working_hours
from agents.models import Group, StaffingTarget, StaffingTargetChange
from agents.services.agent_queries import group_label
from agents.services.locks import lock_until_commit
from agents.services.team_scopes import group_id_in_scope, groups_in_scope
from agents.team_scope import GROUP_ID_MAX_LENGTH, active_team_scope

# Targets are stored at the finest slot the heatmap offers.
STORED_SLOT_MINUTES = 30
# No call centre staffs a slot with more; a bigger number is a typo, not a plan.
TARGET_MAX = 100_000
# An import is a week of slots (336 half hours): a few times that is plenty, and a bigger
# upload is refused before it is read into memory.
IMPORT_MAX_BYTES = 256 * 1024
IMPORT_MAX_ROWS = 2_000
# The summary above the heatmap lists this many of the slots furthest under target.
WORST_SLOTS_SHOWN = 5
CHANGES_SHOWN = 20

CSV_HEADER = ("weekday", "start time", "target")
# A cell is quoted in a problem up to this many characters: enough to find it in the file, where
# a cell of thousands would bury the list of problems.
SHOWN_CELL_CHARS = 20
# ASCII digits only: str.isdigit() also takes "²" (which int() refuses) and "٣" (which it reads).
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
OVERALL = ""  # the group_id of the whole account's targets

Slot = tuple[int, int]  # (weekday, start minute)


def _halves(minute: int, slot_minutes: int) -> range:
    return range(minute, minute + slot_minutes, STORED_SLOT_MINUTES)


def _stored(group_id: str) -> dict[Slot, int]:
    return {
        (weekday, minute): target
        for weekday, minute, target in StaffingTarget.objects.filter(group_id=group_id)
        .order_by()
        .values_list("weekday", "start_minute", "target")
    }


def targets_at_slot_size(halves: Mapping[Slot, int], slot_minutes: int) -> dict[Slot, int]:
    """Half-hour targets read in slots of `slot_minutes`: the largest target set in each."""
    slots: dict[Slot, int] = {}
    for (weekday, minute), target in halves.items():
        key = (weekday, minute - minute % slot_minutes)
        slots[key] = max(target, slots.get(key, 0))
    return slots


def staffing_targets(*, group_id: str, slot_minutes: int) -> dict[Slot, int]:
    """The group's targets ("" = overall) per slot of `slot_minutes`; unset slots are absent."""
    return targets_at_slot_size(_stored(group_id), slot_minutes)


def staffing_target_groups() -> list[tuple[str, str]]:
    """(group_id, label) of every group targets can be set for: the read model's groups, and
    any group that still has targets after it left the read model; within a team scope, only
    its groups (and no overall targets: see `staffing_targets_overall_allowed`)."""
    choices = {g.group_id: group_label(g) for g in groups_in_scope()}
    for group_id in (
        StaffingTarget.objects.exclude(group_id=OVERALL)
        .order_by()
        .values_list("group_id", flat=True)
        .distinct()
    ):
        if group_id_in_scope(group_id):
            choices.setdefault(group_id, f"Group #{group_id} (no agents now)")
    return sorted(choices.items(), key=lambda item: item[1].lower())


def staffing_targets_overall_allowed() -> bool:
    """Whether the whole account's targets may be read and set: not within a team scope, whose
    user is responsible for some groups only."""
    return active_team_scope().is_whole_account


def staffing_target_refused_message(group_id: str) -> str:
    """Why targets posted for `group_id` ("" for the overall ones) were refused: a group
    that is not known, or not one of the team scope in force (which a scoped user cannot
    tell apart, as with agents)."""
    shown = group_id[:GROUP_ID_MAX_LENGTH]
    if not group_id:
        what = "the overall targets are not yours to change (you are responsible for some groups)"
    elif active_team_scope().is_whole_account:
        what = f"there is no group #{shown} to set targets for"
    else:
        what = (
            f"group #{shown} is not one of the groups you are responsible for (or no longer exists)"
        )
    return f"Refused: {what}. Nothing was saved."


def staffing_target_group_name(group_id: str) -> str:
    """A group's name for the change log and headings; "Overall" for the whole account."""
    if group_id == OVERALL:
        return "Overall"
    name = Group.objects.filter(group_id=group_id).values_list("name", flat=True).first()
    return f"{name} (#{group_id})" if name is not None else f"Group #{group_id}"


def staffing_targets_version(*, group_id: str) -> int:
    """Changes whenever the group's targets change: the id of its latest change record."""
    return (
        StaffingTargetChange.objects.filter(group_id=group_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )


class TargetScope:
    """Which targets a filtered heatmap is measured against, and those targets.

    No group filter: the overall targets; one group: that group's, met by its members only (the
    filter already keeps only them); several groups: none, since no one target applies.
    The targets and the group's name are read only when asked for (a cached heatmap needs
    neither, only `version`).
    """

    def __init__(self, *, group_id: str | None, slot_minutes: int):
        self.group_id = group_id  # None when no target applies
        self.slot_minutes = slot_minutes
        # For cache keys: changes whenever these targets change.
        self.version = 0 if group_id is None else staffing_targets_version(group_id=group_id)

    @property
    def applies(self) -> bool:
        return self.group_id is not None

    @cached_property
    def targets(self) -> dict[Slot, int]:
        if self.group_id is None:
            return {}
        return staffing_targets(group_id=self.group_id, slot_minutes=self.slot_minutes)

    @cached_property
    def group_name(self) -> str:
        return "" if self.group_id is None else staffing_target_group_name(self.group_id)

    def target_at(self, weekday: int, minute: int) -> int | None:
        """The target of the slot starting at `minute` of `weekday`, None where none is set."""
        return self.targets.get((weekday, minute - minute % self.slot_minutes))


def staffing_target_scope(*, group_pks: Iterable[int], slot_minutes: int) -> TargetScope:
    """The targets that apply to a heatmap filtered to the groups `group_pks` (primary keys, as
    `AgentFilters` holds them; see `TargetScope`)."""
    group_pks = set(group_pks)
    if len(group_pks) > 1 or not (group_pks or staffing_targets_overall_allowed()):
        return TargetScope(group_id=None, slot_minutes=slot_minutes)
    group_id = OVERALL
    if group_pks:
        group_id = Group.objects.filter(pk__in=group_pks).values_list("group_id", flat=True).first()
    return TargetScope(group_id=group_id, slot_minutes=slot_minutes)


# --- changing targets ------------------------------------------------------------------------


@transaction.atomic
def _targets_replace(*, group_id: str, slot_minutes: int, user, action: str, build) -> int:
    """Write the group's new half-hour targets, `build(current)`, and log the change.

    `build` runs on the targets as read inside the transaction, with their rows locked where
    the database can (PostgreSQL), so two managers saving at once do not undo each other's
    other slots. Returns how many slots of `slot_minutes` changed (0 writes nothing).
    """
    if not group_id_in_scope(group_id):
        raise PermissionDenied("These targets are outside the groups you are responsible for.")
    # Row locks cannot cover a slot nobody has set yet: two saves creating it would collide.
    lock_until_commit(f"staffing-targets:{group_id}")
    current = {
        (weekday, minute): target
        for weekday, minute, target in StaffingTarget.objects.select_for_update()
        .filter(group_id=group_id)
        .order_by()
        .values_list("weekday", "start_minute", "target")
    }
    new = build(dict(current))
    changed = {key for key in current.keys() | new.keys() if current.get(key) != new.get(key)}
    if not changed:
        return 0
    removed = [key for key in changed if key in current]
    if removed:
        by_weekday: dict[int, list[int]] = {}
        for weekday, minute in removed:
            by_weekday.setdefault(weekday, []).append(minute)
        for weekday, minutes in by_weekday.items():
            StaffingTarget.objects.filter(
                group_id=group_id, weekday=weekday, start_minute__in=minutes
            ).delete()
    StaffingTarget.objects.bulk_create(
        StaffingTarget(group_id=group_id, weekday=key[0], start_minute=key[1], target=new[key])
        for key in sorted(changed)
        if key in new
    )
    slots_changed = len({(weekday, minute - minute % slot_minutes) for weekday, minute in changed})
    StaffingTargetChange.objects.create(
        changed_by=user,
        changed_by_name=user.get_username(),
        group_id=group_id,
        group_name="" if group_id == OVERALL else staffing_target_group_name(group_id),
        action=action,
        slot_minutes=slot_minutes,
        slots_changed=slots_changed,
    )
    return slots_changed


def _set_slots(halves: dict[Slot, int], values: Mapping[Slot, int | None], slot_minutes: int):
    for (weekday, minute), target in values.items():
        for half in _halves(minute, slot_minutes):
            if target is None:
                halves.pop((weekday, half), None)
            else:
                halves[(weekday, half)] = target
    return halves


def staffing_targets_set(
    *,
    group_id: str,
    slot_minutes: int,
    values: Mapping[Slot, int | None],
    user,
    action: str = StaffingTargetChange.Action.GRID,
) -> int:
    """Set the given slots (None clears one) and leave every other slot as it is.

    Only slots whose value differs from what `staffing_targets` shows are written, so saving an
    hourly grid keeps the distinct halves of an hour nobody touched. Returns slots changed.
    """

    def build(halves: dict[Slot, int]) -> dict[Slot, int]:
        shown = targets_at_slot_size(halves, slot_minutes)
        edits = {slot: value for slot, value in values.items() if shown.get(slot) != value}
        return _set_slots(halves, edits, slot_minutes)

    return _targets_replace(
        group_id=group_id, slot_minutes=slot_minutes, user=user, action=action, build=build
    )


def staffing_targets_fill(
    *,
    group_id: str,
    slot_minutes: int,
    weekdays: Iterable[int],
    start_minute: int,
    end_minute: int,
    target: int | None,
    user,
) -> int:
    """Set every slot of the given weekdays from `start_minute` up to `end_minute` (exclusive,
    1440 = midnight) to `target`; None clears them. Returns slots changed."""
    values = {
        (weekday, minute): target
        for weekday in weekdays
        for minute in range(start_minute, end_minute, slot_minutes)
    }
    return _targets_replace(
        group_id=group_id,
        slot_minutes=slot_minutes,
        user=user,
        action=StaffingTargetChange.Action.FILL,
        build=lambda halves: _set_slots(halves, values, slot_minutes),
    )


MONDAY = 0
WEEKDAYS_AFTER_MONDAY = (1, 2, 3, 4)


def staffing_targets_copy_monday(*, group_id: str, slot_minutes: int, user) -> int:
    """Make Tuesday to Friday the same as Monday, half hour for half hour. Returns slots changed."""

    def build(halves: dict[Slot, int]) -> dict[Slot, int]:
        monday = {minute: t for (weekday, minute), t in halves.items() if weekday == MONDAY}
        kept = {key: t for key, t in halves.items() if key[0] not in WEEKDAYS_AFTER_MONDAY}
        copies = {
            (weekday, minute): t
            for weekday in WEEKDAYS_AFTER_MONDAY
            for minute, t in monday.items()
        }
        return kept | copies

    return _targets_replace(
        group_id=group_id,
        slot_minutes=slot_minutes,
        user=user,
        action=StaffingTargetChange.Action.COPY_MONDAY,
        build=build,
    )


def staffing_targets_clear(*, group_id: str, slot_minutes: int, user) -> int:
    """Remove all of the group's targets. Returns slots changed."""
    return _targets_replace(
        group_id=group_id,
        slot_minutes=slot_minutes,
        user=user,
        action=StaffingTargetChange.Action.CLEAR,
        build=lambda halves: {},
    )


def staffing_target_changes(*, group_id: str | None = None, limit: int = CHANGES_SHOWN):
    """The latest changes, newest first; of one group when `group_id` is given."""
    changes = StaffingTargetChange.objects.all()
    if not staffing_targets_overall_allowed():
        changes = changes.filter(group_id__in=[g for g, _ in staffing_target_groups()])
    if group_id is not None:
        changes = changes.filter(group_id=group_id)
    return list(changes[:limit])


# --- CSV -------------------------------------------------------------------------------------


def staffing_target_csv_rows(*, group_id: str, slot_minutes: int) -> Iterator[tuple]:
    """The group's targets as CSV rows, header first: weekday name, start (HH:MM), target.

    The weekday names and times are those of /schedules/coverage.csv; only slots with a
    target are listed, so the file imports back to the same targets.
    """
    yield CSV_HEADER
    for (weekday, minute), target in sorted(
        staffing_targets(group_id=group_id, slot_minutes=slot_minutes).items()
    ):
        yield (working_hours.WEEKDAY_NAMES[weekday], working_hours.format_minute(minute), target)


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int  # the line of the file, 1 = the header
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


class TargetImportInvalid(Exception):
    """The file was refused; `errors` says what is wrong, row by row. Nothing was changed."""

    def __init__(self, errors: list[ImportProblem]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


_WEEKDAYS_BY_NAME = {name.lower(): day for day, name in enumerate(working_hours.WEEKDAY_NAMES)}


def _normalise_header(cell: str) -> str:
    return " ".join(cell.strip().lower().replace("_", " ").split())


def _parse_time(text: str) -> int | None:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def _shown(cell: str) -> str:
    return cell if len(cell) <= SHOWN_CELL_CHARS else f"{cell[:SHOWN_CELL_CHARS]}…"


def _target_problem(text: str) -> tuple[int | None, str]:
    """A target cell's value, or why it is not one (checked on the text: int() refuses numbers
    of more than 4,300 digits with an exception)."""
    if not _WHOLE_NUMBER.fullmatch(text):
        return None, f"target “{_shown(text)}” is not a whole number"
    if text.startswith("-") and text.strip("-0"):
        return None, f"target {_shown(text)} is negative"
    digits = text.lstrip("-").lstrip("0") or "0"
    if len(digits) > len(str(TARGET_MAX)) or int(digits) > TARGET_MAX:
        return None, f"target {_shown(text)} is more than {TARGET_MAX:,}"
    return int(digits), ""


def _csv_rows(text: str) -> list[list[str] | str]:
    """The file's rows; a row the csv module cannot read is kept as why, and reading goes on
    with the next line, so every bad row is listed."""
    rows: list[list[str] | str] = []
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            rows.append(next(reader))
        except StopIteration:
            return rows
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                rows.append(f"a cell is longer than {csv.field_size_limit():,} characters.")
            else:
                rows.append(f"the line is not readable as CSV ({exc}).")


def _is_blank(row: list[str] | str) -> bool:
    return not isinstance(row, str) and not any(cell.strip() for cell in row)


def staffing_targets_parse_csv(*, content: bytes, slot_minutes: int) -> dict[Slot, int | None]:
    """Read an uploaded CSV (`weekday,start time,target`) into targets per slot.

    Raises `TargetImportInvalid` listing every bad row: an unknown weekday, a time that is not
    the start of a slot of `slot_minutes`, a target that is not a whole number (in ASCII
    digits) from 0 to TARGET_MAX, a slot listed twice, a row without three columns, a NUL
    character, a cell over the csv module's field limit, or a missing header. An empty target
    means "no target" for that slot.
    """
    slot_name = "hour" if slot_minutes == 60 else "half hour"
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TargetImportInvalid([ImportProblem(1, "The file is not UTF-8 text.")]) from None
    rows = _csv_rows(text)
    while rows and _is_blank(rows[-1]):
        rows.pop()
    if not rows:
        raise TargetImportInvalid([ImportProblem(1, "The file is empty.")])
    header = rows[0]
    if isinstance(header, str) or tuple(_normalise_header(c) for c in header) != CSV_HEADER:
        raise TargetImportInvalid(
            [ImportProblem(1, f"The first line must be the header {','.join(CSV_HEADER)}.")]
        )
    if len(rows) - 1 > IMPORT_MAX_ROWS:
        raise TargetImportInvalid(
            [ImportProblem(1, f"The file has {len(rows) - 1} rows; at most {IMPORT_MAX_ROWS}.")]
        )
    errors: list[ImportProblem] = []
    values: dict[Slot, int | None] = {}
    first_line: dict[Slot, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if isinstance(row, str):
            errors.append(ImportProblem(line, row))
            continue
        if _is_blank(row):
            continue
        if any("\x00" in cell for cell in row):
            errors.append(ImportProblem(line, "contains a NUL character."))
            continue
        if len(row) != len(CSV_HEADER):
            errors.append(
                ImportProblem(
                    line, f"expected 3 columns (weekday, start time, target), got {len(row)}."
                )
            )
            continue
        weekday_text, time_text, target_text = (cell.strip() for cell in row)
        problems = []
        weekday = _WEEKDAYS_BY_NAME.get(weekday_text.lower())
        if weekday is None:
            problems.append(f"unknown weekday “{_shown(weekday_text)}” (use Monday … Sunday)")
        minute = _parse_time(time_text)
        if minute is None:
            problems.append(f"“{_shown(time_text)}” is not a time (use HH:MM, e.g. 09:00)")
        elif minute % slot_minutes:
            problems.append(
                f"{time_text} is not the start of a{'n' if slot_minutes == 60 else ''} "
                f"{slot_name} (slots start at "
                f"{'09:00, 10:00' if slot_minutes == 60 else '09:00, 09:30'} …)"
            )
        target: int | None = None
        if target_text:
            target, target_problem = _target_problem(target_text)
            if target_problem:
                problems.append(target_problem)
        if not problems and weekday is not None and minute is not None:
            slot = (weekday, minute)
            if slot in first_line:
                problems.append(
                    f"{working_hours.WEEKDAY_NAMES[weekday]} {working_hours.format_minute(minute)} "
                    f"is listed twice (first on line {first_line[slot]})"
                )
            else:
                first_line[slot] = line
                values[slot] = target
        if problems:
            errors.append(ImportProblem(line, "; ".join(problems) + "."))
    if errors:
        raise TargetImportInvalid(errors)
    return values


def staffing_targets_import(
    *,
    group_id: str,
    slot_minutes: int,
    values: Mapping[Slot, int | None],
    user,
    action: str = StaffingTargetChange.Action.IMPORT,
) -> int:
    """Replace all of the group's targets with an import's (a file, or the API's `action`), in
    one transaction."""
    return _targets_replace(
        group_id=group_id,
        slot_minutes=slot_minutes,
        user=user,
        action=action,
        build=lambda halves: _set_slots({}, values, slot_minutes),
    )


# --- shortfall -------------------------------------------------------------------------------


def shortfall(target: int | None, on_duty: int) -> int | None:
    """max(0, target − on duty); None where no target is set."""
    return None if target is None else max(0, target - on_duty)
