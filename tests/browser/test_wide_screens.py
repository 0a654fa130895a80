"""Pages on a wide screen (1,280 px and wider). The filter bars: each select shows its chosen
value whole, whatever value is chosen, and the group picker its chosen groups. The directory:
the CAD column keeps "Not set here" on one line, and no cell's text runs over the next column's.
The menu: each entry on one line."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_every_page import LONG_EMAIL, LONG_GROUP, every_kind_of_data  # noqa: F401 - fixture
from tests.fixtures.browser import login, new_page, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("every_kind_of_data"),
]

WIDE_SCREENS = (1280, 1400, 1920)
# Each list page with a filter bar, one with a group chosen in the picker.
FILTERED_PAGES = {
    "directory": "/agents/",
    "directory-a-group": f"/agents/?group={LONG_GROUP[0]}",
    "schedules": "/schedules/",
    "changes": "/changes/",
    "cad-jobs": "/cad/",
}
# For each visible select of the filter bar: the room inside it for text (its width less its
# padding, which holds the arrow) and the width of its widest option's text, in its own font.
SELECT_TEXT_ROOM = """(form) => {
  const measure = document.createElement("canvas").getContext("2d");
  return [...form.querySelectorAll("select")]
    .filter((select) => select.getClientRects().length && !select.classList.contains("tomselected"))
    .map((select) => {
      const style = getComputedStyle(select);
      measure.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      const room = select.clientWidth - padding;
      const widest = Math.max(...[...select.options].map((o) => measure.measureText(o.text).width));
      return { name: select.name, room: Math.floor(room), widest: Math.ceil(widest) };
    });
}"""
# The group picker's chosen groups: each shown whole.
CLIPPED_PICKED_GROUPS = """(form) => [...form.querySelectorAll(".ts-control .item")]
  .filter((item) => item.scrollWidth > item.clientWidth + 1)
  .map((item) => item.textContent.trim())"""
# How many lines a cell's text takes: the distinct tops of its text's line boxes.
TEXT_LINES = """(cell) => {
  const tops = new Set();
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) if (rect.width) tops.add(Math.round(rect.top));
  }
  return tops.size;
}"""


@pytest.fixture(params=WIDE_SCREENS, ids=lambda width: f"{width}px")
def wide_page(request, browser, live_server, admin_user):
    """An admin's page (every control, the longest menu) at a wide screen's width."""
    page = new_page(browser, live_server, width=request.param)
    login(page, admin_user)
    yield page
    page.context.close()


def test_every_filter_shows_its_chosen_value_whole(wide_page):
    page = wide_page
    width = page.viewport_size["width"]
    for name, url in FILTERED_PAGES.items():
        page.goto(url)
        form = page.locator("form[role=search]")
        expect(form).to_be_visible()
        selects = form.evaluate(SELECT_TEXT_ROOM)
        assert len(selects) >= 2, f"{name}: no filter selects measured"
        clipped = [s for s in selects if s["widest"] > s["room"]]
        assert clipped == [], f"{name} at {width} px: choices wider than their select: {clipped}"
        assert form.evaluate(CLIPPED_PICKED_GROUPS) == [], f"{name} at {width} px"
        if name == "directory-a-group":
            expect(form.locator(".ts-control .item")).to_contain_text(LONG_GROUP[1])
    page.goto("/agents/")
    screenshot(page, f"directory-filters-{width}")


def test_the_cad_column_keeps_not_set_here_on_one_line(wide_page):
    page = wide_page
    width = page.viewport_size["width"]
    page.goto("/agents/?cad=unknown")
    cells = page.locator("#agent-table tbody td.col-cad")
    expect(cells.first).to_have_text("Not set here")
    for i in range(min(cells.count(), 5)):
        assert cells.nth(i).evaluate(TEXT_LINES) == 1, f"CAD cell {i} at {width} px wraps"
    page.goto("/agents/?cad=on")
    expect(cells.first).to_contain_text("On · set")
    assert cells.first.evaluate(TEXT_LINES) == 1


# Cells whose content runs out of them (over the next column's text).
OVERFLOWING_CELLS = """(table) => [...table.querySelectorAll("tbody td")]
  .filter((cell) => cell.scrollWidth > cell.clientWidth + 1)
  .map((cell) => `${cell.className}: ${cell.textContent.trim().slice(0, 40)}`)"""


def test_no_directory_cell_runs_over_the_next(wide_page):
    page = wide_page
    page.goto("/agents/")
    table = page.locator("#agent-table")
    expect(table).to_contain_text(LONG_EMAIL)
    assert table.evaluate(OVERFLOWING_CELLS) == []


def test_each_menu_entry_is_one_line(wide_page):
    page = wide_page  # an admin's: the longest menu
    page.goto("/status/")
    links = page.locator("#main-nav .nav-link")
    entries = [
        "Agents", "Changes", "Schedules", "CAD jobs", "DeepCall status", "Exports", "Sign-ins",
        "Users",
    ]  # fmt: skip
    expect(links).to_have_text(entries)
    lines = {
        links.nth(i).inner_text(): links.nth(i).evaluate(TEXT_LINES) for i in range(len(entries))
    }
    assert lines == dict.fromkeys(entries, 1)
