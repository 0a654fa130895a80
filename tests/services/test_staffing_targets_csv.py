"""Reading a staffing-targets CSV: whatever the bytes, the answer is the targets or a list of
problems, line by line; never an exception of another kind (which the page would show as a
server error)."""

import csv

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.services.staffing_targets import (
    TargetImportInvalid,
    staffing_targets_parse_csv,
)

HEADER = "weekday,start time,target\n"


def problems(content: bytes, slot_minutes: int = 60) -> list[str]:
    """Each problem as the page lists it; fails the test if the file was accepted."""
    with pytest.raises(TargetImportInvalid) as refused:
        staffing_targets_parse_csv(content=content, slot_minutes=slot_minutes)
    return [str(problem) for problem in refused.value.errors]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("Monday,09:00,²", "Line 2: target “²” is not a whole number"),
        ("Monday,09:00,٣", "Line 2: target “٣” is not a whole number"),
        ("Monday,٠٩:٠٠,3", "Line 2: “٠٩:٠٠” is not a time"),
        ("Monday,²:00,3", "Line 2: “²:00” is not a time"),
        ("Monday,09:00," + "9" * 5000, "Line 2: target 99999999999999999999… is more than"),
        ("Monday,09:00,-" + "9" * 5000, "Line 2: target -9999999999999999999… is negative"),
        ("Monday," + "0" * 5000 + "9:00,3", "Line 2: “00000000000000000000…” is not a time"),
        ("Monday,09:00,1\x00", "Line 2: contains a NUL character"),
    ],
)
def test_odd_digits_huge_numbers_and_nul_are_row_errors(row, expected):
    (problem,) = problems(f"{HEADER}{row}\n".encode())
    assert problem.startswith(expected)


def test_a_cell_over_the_csv_field_limit_is_a_row_error_and_the_next_rows_are_read():
    huge = "x" * (csv.field_size_limit() + 1)
    content = f"{HEADER}Monday,09:00,{huge}\nFunday,09:00,1\nTuesday,09:00,2\n".encode()
    assert problems(content) == [
        "Line 2: a cell is longer than 131,072 characters.",
        "Line 3: unknown weekday “Funday” (use Monday … Sunday).",
    ]


def test_a_quoted_cell_left_open_is_a_row_error():
    huge = "x" * (csv.field_size_limit() + 1)
    content = f'{HEADER}Monday,09:00,"{huge}\n'.encode()
    assert problems(content) == ["Line 2: a cell is longer than 131,072 characters."]


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_a_file_of_only_a_bom_is_refused_as_empty(content):
    assert problems(content) == ["Line 1: The file is empty."]


def test_a_long_cell_is_quoted_shortened_in_the_message():
    (problem,) = problems(f"{HEADER}{'F' * 10_000},09:00,1\n".encode())
    assert problem == f"Line 2: unknown weekday “{'F' * 20}…” (use Monday … Sunday)."


# Pieces of good rows mixed with the characters and sizes that once broke the reader.
CSV_TEXT = st.lists(
    st.sampled_from(
        [
            *"Monday,Tuesday 09:00:30\n\r\"'-+ 0123456789²٣\x00\ufeff",
            *("Monday,09:00,", "9" * 5000, "x" * 140_000),
        ]
    ),
    max_size=12,
).map("".join)


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    text=st.builds(lambda body, header: (HEADER if header else "") + body, CSV_TEXT, st.booleans()),
    bom=st.booleans(),
    slot_minutes=st.sampled_from([30, 60]),
)
def test_any_text_gives_targets_or_row_by_row_problems(text, bom, slot_minutes):
    content = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    try:
        values = staffing_targets_parse_csv(content=content, slot_minutes=slot_minutes)
    except TargetImportInvalid as refused:
        assert refused.errors
        for problem in refused.errors:
            assert str(problem).startswith(f"Line {problem.line}: ")
            assert len(str(problem)) < 500  # a cell is shortened, never echoed whole
    else:
        assert all(0 <= target <= 100_000 for target in values.values() if target is not None)


@settings(max_examples=100, derandomize=True, database=None, deadline=None)
@given(content=st.binary(max_size=64))
def test_any_bytes_give_targets_or_problems(content):
    try:
        staffing_targets_parse_csv(content=content, slot_minutes=60)
    except TargetImportInvalid as refused:
        assert refused.errors
