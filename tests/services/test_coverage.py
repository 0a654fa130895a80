"""The schedules service's own rules: the heatmap's shades and the legend that explains them."""

import pytest

from agents.services.coverage import Coverage, heatmap_level


@pytest.mark.parametrize("max_count", [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 97, 2500])
def test_legend_names_each_shade_in_use_with_the_counts_it_stands_for(max_count):
    coverage = Coverage(
        slot_minutes=60, slot_starts=[], rows=[], max_count=max_count, active_agents=0, gap_count=0
    )
    counts_by_level: dict[int, list[int]] = {}
    for count in range(1, max_count + 1):
        counts_by_level.setdefault(heatmap_level(count, max_count), []).append(count)
    expected = [
        (level, f"{c[0]}" if c[0] == c[-1] else f"{c[0]}–{c[-1]}")
        for level, c in sorted(counts_by_level.items())
    ]
    assert coverage.legend == expected
