"""Keyboard alone: bulk CAD in a few key presses, the focus kept (and visible) after every htmx
swap, and the shortcuts `/`, `?` and Escape."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.models import Agent
from tests.fixtures.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_bulk_cad_keys() -> list[str]:
    """The key presses the README promises for bulk CAD ("… goes to the table: Tab, Tab, Enter,
    …: 11 key presses"), one entry a press."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    match = re.search(r"goes to the table: (.+?): (\d+) key presses", text)
    assert match, "the README's keyboard paragraph has moved: update this test with it"
    keys = []
    for step in re.sub(r"\([^)]*\)", "", match.group(1)).split(","):
        key, _, times = step.strip().partition(" ×")
        keys += [key.strip()] * int(times or 1)
    assert len(keys) == int(match.group(2)), "the README's count is not its own list's length"
    return keys


class Keyboard:
    """Presses keys and remembers them."""

    def __init__(self, page):
        self.page = page
        self.pressed: list[str] = []

    def press(self, key: str) -> None:
        self.pressed.append(key)
        self.page.keyboard.press(key)


def focused(page):
    return page.locator(":focus")


def assert_focus_visible(page) -> None:
    """Something other than the page itself has the focus, and it is drawn: an outline or a
    focus ring, not the browser's bare default removed by a stylesheet."""
    state = page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body || el === document.documentElement) return "body";
          const html = el.outerHTML.slice(0, 80);
          if (!el.matches(":focus-visible")) return "not focus-visible: " + html;
          const style = getComputedStyle(el);
          const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
          const ring = style.boxShadow && style.boxShadow !== "none";
          return outline || ring ? "visible" : "invisible: " + html;
        }"""
    )
    assert state == "visible", state


def test_the_readme_lists_eleven_presses():
    assert readme_bulk_cad_keys() == [
        "Tab", "Tab", "Enter", "Tab", "Space", "Shift+Tab", "Shift+Tab", "Shift+Tab",
        "Enter", "Enter", "Enter",
    ]  # fmt: skip


def test_bulk_cad_by_keyboard_alone_with_the_readme_s_key_presses(page, admin_user, synced_sandbox):
    matching = Agent.objects.filter(is_active=True).count()
    login(page, admin_user)
    page.goto("/agents/?status=active")
    expect(page.locator("#agent-count")).to_contain_text(f"{matching}")
    keys = Keyboard(page)

    keys.press("Tab")
    keys.press("Tab")
    expect(focused(page)).to_have_text("Skip to the agents table")
    assert_focus_visible(page)
    keys.press("Enter")
    expect(focused(page)).to_have_attribute("id", "agent-table-wrap")
    keys.press("Tab")
    expect(focused(page)).to_have_attribute("aria-label", "Select all on this page")
    assert_focus_visible(page)
    keys.press("Space")
    expect(page.locator("#selection-count")).to_have_text("25 selected")
    # The bar above was redrawn; the focus stayed on the box.
    expect(focused(page)).to_have_attribute("aria-label", "Select all on this page")

    keys.press("Shift+Tab")  # the table's own region
    keys.press("Shift+Tab")
    expect(focused(page)).to_have_text("Clear selection")
    keys.press("Shift+Tab")
    expect(focused(page)).to_have_text(f"Select all {matching} matching agents")
    assert_focus_visible(page)
    with page.expect_response(lambda r: r.request.method == "GET" and "/agents/" in r.url):
        keys.press("Enter")  # the bar, then the table, are redrawn
    expect(page.locator("#selection-count")).to_have_text(
        f"{matching} selected (all matching a filter)"
    )
    # The button that was used is gone: the focus is on the obvious next one.
    expect(focused(page)).to_have_text("Enable CAD")
    assert_focus_visible(page)

    keys.press("Enter")
    expect(page.get_by_role("heading", name=f"Enable CAD for {matching} agents?")).to_be_visible()
    expect(focused(page)).to_have_text(f"Confirm: Enable CAD for {matching} agents")
    assert_focus_visible(page)
    keys.press("Enter")
    expect(page.get_by_text(f"{matching} of {matching} done")).to_be_visible()
    assert len(synced_sandbox.cad_on) == matching
    # Exactly the presses the README promises, in its order.
    assert keys.pressed == readme_bulk_cad_keys()


def test_focus_stays_on_the_control_used_after_each_swap(page, admin_user, synced_sandbox):
    login(page, admin_user)
    page.goto("/agents/")
    expect(page.locator("#agent-table tbody tr")).to_have_count(25)

    # A sort header, by keyboard: the table is redrawn, the focus stays on that header.
    page.locator("th.col-name a").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sort=name"))
    expect(page.locator("th.col-name")).to_have_attribute("aria-sort", "ascending")
    expect(focused(page)).to_have_attribute("data-focus-key", "sort-name")
    assert_focus_visible(page)

    # Paging: "Next" keeps the focus; a page number moves it to that page, now current.
    page.get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"page=2"))
    expect(focused(page)).to_have_text("Next")
    assert_focus_visible(page)
    page.get_by_role("link", name="Page 4").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"page=4"))
    expect(focused(page)).to_have_attribute("id", "page-current")
    expect(focused(page)).to_have_text("4")
    assert_focus_visible(page)

    # A row's box: the selection bar is redrawn, the box keeps the focus.
    box = page.locator('#agent-table tbody input[name="agent_id"]').first
    box.focus()
    page.keyboard.press("Space")
    expect(page.locator("#selection-count")).to_have_text("1 selected")
    expect(box).to_be_focused()
    assert_focus_visible(page)

    # "Clear selection" disappears once used: the focus goes to the "select page" box.
    page.get_by_role("button", name="Clear selection").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#selection-count")).to_have_text("0 selected")
    expect(focused(page)).to_have_attribute("aria-label", "Select all on this page")
    assert_focus_visible(page)

    # Typing a search redraws the table under the search box, which keeps the focus.
    page.keyboard.press("/")
    expect(focused(page)).to_have_attribute("name", "q")
    page.keyboard.type("vijay", delay=30)
    page.wait_for_url(re.compile(r"q=vijay"))
    expect(page.locator("#agent-table tbody tr").first).to_contain_text("vijay")
    expect(focused(page)).to_have_attribute("name", "q")
    assert_focus_visible(page)
    assert page.console_errors == []


def test_detail_panel_opens_by_keyboard_and_escape_closes_it(page, supervisor_user, synced_sandbox):
    login(page, supervisor_user)
    page.goto("/agents/?q=vijay")
    link = page.get_by_role("link", name="vijay developer")
    link.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#agent-detail-panel")
    expect(panel).to_be_visible()
    page.wait_for_url(re.compile(r"/agents/4/$"))
    expect(panel.get_by_role("heading", name=re.compile("vijay developer"))).to_be_visible()
    # Announced: the close button names its key.
    expect(panel.get_by_role("button", name="Close")).to_have_attribute(
        "aria-keyshortcuts", "Escape"
    )
    assert_accessible(page)

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.locator("#shortcut-announcer")).to_have_text("Detail panel closed")
    # Back on the directory's own URL, without reloading it, and on the link that opened it.
    page.wait_for_url(re.compile(r"/agents/\?q=vijay$"))
    expect(link).to_be_focused()
    assert_focus_visible(page)

    # Escape works wherever the focus is while the panel is open.
    link.focus()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    page.locator("#agent-detail-body a").first.focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert page.console_errors == []


def test_shortcuts_are_announced_listed_and_work(page, supervisor_user, synced_sandbox):
    login(page, supervisor_user)
    page.goto("/agents/")
    search = page.get_by_role("searchbox", name="Search")
    # Announced: screen readers read aria-keyshortcuts; the hint is visible too.
    expect(search).to_have_attribute("aria-keyshortcuts", "/")
    help_button = page.get_by_role("button", name=re.compile("Keyboard shortcuts"))
    expect(help_button).to_have_attribute("aria-keyshortcuts", "?")

    page.locator("h1").click()  # the focus anywhere but a text field
    page.keyboard.press("/")
    expect(search).to_be_focused()
    announcer = page.locator("#shortcut-announcer")
    expect(announcer).to_have_attribute("role", "status")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text("Search focused")
    # In a text field, / and ? are text.
    page.keyboard.type("a/?")
    expect(search).to_have_value("a/?")
    search.fill("")

    page.locator("h1").click()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(announcer).to_have_text("Keyboard shortcuts opened")
    for text in ["Go to the search box", "Show these shortcuts", "Close the agent's details"]:
        expect(dialog).to_contain_text(text)
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # On a page without a search box, / does nothing and ? still lists the shortcuts.
    page.goto("/")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert page.console_errors == []
