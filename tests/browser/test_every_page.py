"""Every page at tablet (768 px) and phone (390 px) width, in the light and the dark colour
mode: axe finds no serious or critical violation, nothing scrolls the page sideways, a wide
table scrolls in its own region with the column naming each row kept in view, the nav is
folded; on data whose heatmap uses every shade and has gaps, with long names and many groups,
and a CAD job with succeeded, failed and skipped results."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from agents import working_hours
from agents.models import Agent, CadJob, CsvExport, Group, WorkingWindow
from agents.services import cad_jobs as cad_service
from agents.services.api_tokens import api_token_authenticate, api_token_issue
from agents.services.coverage import HEATMAP_LEVELS
from agents.services.staffing_targets import staffing_targets_fill
from tests.fixtures.browser import assert_accessible, login, new_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"tablet": 768, "phone": 390}
MONDAY = 0
# Agents on duty on Monday from 09:00, one fewer each hour: 4, 3, 2, 1 (every shade of a
# heatmap whose busiest slot has 4), and nobody the rest of the week (gaps).
SHADE_AGENTS = ("2", "3", "4", "5")


# Data that makes tables wide: a name with a word longer than a phone is wide, an address
# of the same kind, a long group name, and the one agent in every group.
LONG_NAME = "Aaliyah Wolfeschlegelsteinhausenbergerdorff-Venkataraghavan Chakraborty-Oyelaran"
LONG_EMAIL = "aaliyah.wolfeschlegelsteinhausenbergerdorff.venkataraghavan@support.example.com"
LONG_GROUP = (99, "Customer support escalations — northern region, nights and weekends")
WIDE_AGENT = "4"
CAD_FAILURE = "Agent is on a live call: ERR_AGENT_ON_LIVE_CALL_RETRY_AFTER_THE_CALL_ENDS"


def widen_the_data(sandbox) -> None:
    """The sandbox lists agent WIDE_AGENT under LONG_NAME and LONG_EMAIL, in every group and
    in LONG_GROUP (the next sync records each of those changes). `sandbox.reset()` (each
    test's) takes it back."""
    from agents.sandbox.data import GROUPS, Dataset

    state = sandbox.state
    with state.lock:
        groups = {**GROUPS, LONG_GROUP[0]: LONG_GROUP[1]}
        agents = []
        for agent in state.dataset.agents:
            if str(agent["unique_id"]) == WIDE_AGENT:
                agent = {
                    **agent,
                    "name": LONG_NAME,
                    "email": LONG_EMAIL,
                    "group": list(groups),
                    "groupNames": [{str(g): name} for g, name in groups.items()],
                }
            agents.append(agent)
        state.dataset = Dataset.build(agents, groups)


@pytest.fixture
def every_kind_of_data(synced_sandbox, admin_user):
    """The sandbox's agents (groups, roles, long names; agent 4 renamed since the first sync,
    so the change history has changes), two CAD jobs, and working hours rewritten so the
    heatmap shows every shade and gaps. Returns the second job: it has succeeded, failed and
    skipped results, and agents whose state before it is not known (its undo page asks)."""
    widen_the_data(synced_sandbox)
    # The jobs' own refresh of the directory comes first (and records the changes above), so
    # the hours below stay.
    cad_service.cad_job_create(
        user=admin_user,
        action="enable",
        agent_ids=list(SHADE_AGENTS),
        idempotency_key=cad_service.new_idempotency_key(),
        filter_description="4 agents",
    )
    # Already on as set here: skipped. DeepCall refuses one: failed. The rest: not known
    # before, succeeded.
    synced_sandbox.set_faults(cad_failures={"6": CAD_FAILURE})
    job, _ = cad_service.cad_job_create(
        user=admin_user,
        action="enable",
        agent_ids=[*SHADE_AGENTS, "6", "8", "9"],
        idempotency_key=cad_service.new_idempotency_key(),
        filter_description="7 agents",
        skip_already_set=True,
    )
    synced_sandbox.set_faults(cad_failures={})
    WorkingWindow.objects.all().delete()
    for hours, agent_id in enumerate(SHADE_AGENTS, start=1):
        agent = Agent.objects.get(agent_id=agent_id)
        agent.is_active = True
        agent.save(update_fields=["is_active"])
        WorkingWindow.objects.create(
            agent=agent,
            weekday_mask=working_hours.mask_from_days((MONDAY,)),
            start_minute=9 * 60,
            end_minute=(9 + hours) * 60,
            position=0,
        )
    # Staffing targets for the long-named group: its targets page lists the change, and its
    # heatmap has short slots.
    staffing_targets_fill(
        group_id=str(LONG_GROUP[0]),
        slot_minutes=60,
        weekdays=[MONDAY],
        start_minute=9 * 60,
        end_minute=12 * 60,
        target=3,
        user=admin_user,
    )
    # The exports page's table, with a long filter.
    CsvExport.objects.create(
        user=admin_user,
        username=admin_user.username,
        path="/agents/export.csv",
        filter_query=f"q={LONG_NAME}&group={LONG_GROUP[0]}&status=active&dest_type=MOBILE",
        rows=1,
        completed=True,
    )
    # The API tokens page's table: a token of the admin's, used once.
    api_token_authenticate(api_token_issue(user=admin_user, name="hr-sync nightly").token)
    job.refresh_from_db()
    assert (job.succeeded, job.failed, job.skipped) == (2, 1, 4), "the data is not as planned"
    return job


def pages_to_visit(job: CadJob) -> dict[str, str]:
    group = Group.objects.filter(agents__isnull=False).first()
    return {
        "home": "/",
        "directory": "/agents/",
        "directory-filtered": f"/agents/?group={group.group_id}&status=active",
        "agent": "/agents/4/",
        "schedules": "/schedules/",
        "schedules-half-hours": "/schedules/?slot=30",
        "slot": f"/schedules/slot/?slot_day={MONDAY}&slot_minute=540",
        "cad-jobs": "/cad/",
        "cad-job": f"/cad/{job.public_id}/",
        "cad-job-results-succeeded": f"/cad/{job.public_id}/?outcome=succeeded",
        "cad-job-results-failed": f"/cad/{job.public_id}/?outcome=failed",
        "cad-job-results-skipped": f"/cad/{job.public_id}/?outcome=skipped",
        "cad-undo": f"/cad/{job.public_id}/undo/",
        "agent-not-found": "/agents/999999/",
        "status": "/status/",
        "changes": "/changes/",
        "targets": "/schedules/targets/",
        "targets-of-a-group": f"/schedules/targets/?group={LONG_GROUP[0]}",
        "schedules-of-a-group-short": f"/schedules/?group={LONG_GROUP[0]}",
        "exports": "/exports/",
        "sign-ins": "/sign-ins/",
        "users": "/users/",
        "user-scope": f"/users/{job.created_by_id}/scope/",
        "account": "/accounts/",
        "password-change": "/accounts/password/",
        "api-tokens": "/account/tokens/",
    }


# What a page must show for the sweep to have checked it with the data that matters.
PAGE_SHOWS = {
    "agent": LONG_GROUP[1],
    "cad-job-results-failed": "ERR_AGENT_ON_LIVE_CALL",
    "cad-job-results-skipped": "Skipped",
    "cad-undo": "State before not known",
    "changes": LONG_NAME,
    "exports": "/agents/export.csv",
    "sign-ins": "Signed in",
    "users": "Password and code",
    "user-scope": "Changes of scope",
    "account": "Two-factor sign-in",
    "api-tokens": "hr-sync nightly",
    "targets-of-a-group": "Recent changes of targets",
    "schedules-of-a-group-short": "short",
}
# Pages whose data is too wide for the width: a table region there must scroll sideways (so the
# kept-column check below is not vacuous).
_TOO_WIDE_FOR_A_TABLET = {
    "directory",
    "schedules",
    "schedules-half-hours",
    "schedules-of-a-group-short",
    "changes",
    "targets",
}
MUST_SCROLL = {
    "tablet": _TOO_WIDE_FOR_A_TABLET,
    "phone": _TOO_WIDE_FOR_A_TABLET
    | {"targets-of-a-group", "cad-jobs", "cad-job", "cad-job-results-failed", "exports"},
}
TABLE_REGIONS = ".table-responsive, .heatmap-scroll"
# Scrolled to its end, where is the column that names each row? The directory keeps its tick
# box and name, every other table its first column. null: the table fits its region.
KEPT_COLUMN_AFTER_SCROLLING = """(region) => {
  if (region.scrollWidth <= region.clientWidth) return null;
  region.scrollLeft = region.scrollWidth;
  const box = region.getBoundingClientRect();
  const outside = [];
  const rows = [...region.querySelectorAll(":scope > table > tbody > tr")].slice(0, 5);
  for (const row of rows) {
    const named = [...row.querySelectorAll(":scope > :is(.col-select, .col-name)")];
    for (const cell of named.length ? named : [row.firstElementChild]) {
      const cellBox = cell.getBoundingClientRect();
      if (cellBox.left < box.left - 1 || cellBox.right > box.right + 1) {
        const [left, right] = [cellBox.left - box.left, cellBox.right - box.left].map(Math.round);
        outside.push(`${cell.textContent.trim().slice(0, 40)}: ${left} to ${right} px`);
      }
    }
  }
  const scrolled = region.scrollLeft;
  region.scrollLeft = 0;
  return { scrolled, outside, rows: rows.length };
}"""


def assert_kept_column_in_view(page, name: str) -> bool:
    """Each table region wider than its box, scrolled to its end, still shows the column that
    names each row. True if any region had to scroll."""
    regions = page.locator(TABLE_REGIONS)
    any_scrolled = False
    for i in range(regions.count()):
        result = regions.nth(i).evaluate(KEPT_COLUMN_AFTER_SCROLLING)
        if result is None:
            continue
        any_scrolled = True
        assert result["scrolled"] > 0 and result["rows"] > 0, f"{name}: region {i} did not scroll"
        assert result["outside"] == [], f"{name}: scrolled sideways, rows lose their name: {result}"
    return any_scrolled


def assert_no_sideways_scroll(page, name: str) -> None:
    overflow = page.evaluate(
        "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    # What sticks out, outside any region that scrolls or clips it.
    wide = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const clipped = (el) => {
            for (let p = el.offsetParent; p && p !== document.body; p = p.offsetParent) {
              if (getComputedStyle(p).overflowX !== "visible") return true;
            }
            return false;
          };
          return [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > width && !clipped(el))
            .slice(0, 5).map((el) => el.outerHTML.slice(0, 120));
        }"""
    )
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow} px: {wide}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_page_is_accessible_and_fits(
    browser, live_server, admin_user, every_kind_of_data, width, scheme
):
    page = new_page(browser, live_server, width=width, color_scheme=scheme)
    login(page, admin_user)
    # "System" is the default mode: the browser's preference decides.
    expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
    size = next(key for key, value in WIDTHS.items() if value == width)
    scrolled = set()
    for name, url in pages_to_visit(every_kind_of_data).items():
        page.goto(url)
        expect(page.locator("h1")).to_have_count(1)
        expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
        if name in PAGE_SHOWS:
            expect(page.locator("main")).to_contain_text(PAGE_SHOWS[name])
        # The nav is folded behind its toggle at both widths.
        expect(page.get_by_role("button", name="Toggle navigation")).to_be_visible()
        expect(page.locator("#main-nav")).to_be_hidden()
        assert_no_sideways_scroll(page, name)
        if assert_kept_column_in_view(page, name):
            scrolled.add(name)
        assert_accessible(page)
        if width == WIDTHS["phone"]:
            screenshot(page, f"{name}-{scheme}-phone")

    assert MUST_SCROLL[size] <= scrolled, f"no table scrolled on {MUST_SCROLL[size] - scrolled}"

    # The confirmation page of a bulk CAD change, the login page and its locked-out page.
    page.goto("/agents/")
    page.get_by_role("checkbox", name="Select all on this page").check()
    expect(page.locator("#selection-count")).to_have_text("25 selected")
    page.get_by_role("button", name="Disable CAD").click()
    expect(page.get_by_role("heading", name="Disable CAD for 25 agents?")).to_be_visible()
    assert_no_sideways_scroll(page, "cad-confirm")
    assert_accessible(page)
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    assert_no_sideways_scroll(page, "login")
    assert_accessible(page)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("someone")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many failed log-in attempts")).to_be_visible()
    assert_no_sideways_scroll(page, "locked-out")
    assert_accessible(page)
    # The browser logs the not-found page's 404 and the locked-out page's 429; nothing else.
    expected = [f"the server responded with a status of {code}" for code in (404, 429)]
    unexpected = [e for e in page.console_errors if not any(x in e for x in expected)]
    assert unexpected == []
    page.context.close()


def test_the_heatmap_uses_every_shade_and_each_reads_in_both_modes(
    browser, live_server, manager_user, every_kind_of_data
):
    for scheme in ("light", "dark"):
        page = new_page(browser, live_server, color_scheme=scheme)
        login(page, manager_user)
        page.goto("/schedules/")
        for level in range(1, HEATMAP_LEVELS + 1):
            expect(page.locator(f"td.hm-l{level} a.hm-cell").first).to_be_visible()
        expect(page.locator("td.hm-gap a.hm-cell").first).to_be_visible()
        legend = page.get_by_role("list", name="Legend")
        for text in ["Gap (hatched)", "1 on duty", "2 on duty", "3 on duty", "4 on duty"]:
            expect(legend).to_contain_text(text)
        # axe checks the contrast of every cell's figure against its shade.
        assert_accessible(page)
        screenshot(page, f"schedules-every-shade-{scheme}")
        page.context.close()


def test_colour_mode_is_chosen_in_the_nav_and_remembered_per_browser(
    browser, live_server, supervisor_user, every_kind_of_data
):
    page = new_page(browser, live_server, color_scheme="light")
    login(page, supervisor_user)
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    page.get_by_role("button", name="Colour mode: System").click()
    page.get_by_role("button", name="Dark", exact=True).click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    expect(page.locator("[data-colour-mode=dark]")).to_have_attribute("aria-pressed", "true")

    # Remembered: a new page of the same browser opens dark, whatever the system says.
    page.goto("/schedules/")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    second = page.context.new_page()
    second.goto("/agents/")
    expect(second.locator("html")).to_have_attribute("data-bs-theme", "dark")
    expect(second.get_by_role("button", name="Colour mode: Dark")).to_be_visible()
    assert_accessible(second)

    # "System" follows the browser's preference again, and its changes.
    second.get_by_role("button", name="Colour mode: Dark").click()
    second.get_by_role("button", name="System", exact=True).click()
    expect(second.locator("html")).to_have_attribute("data-bs-theme", "light")
    second.emulate_media(color_scheme="dark")
    expect(second.locator("html")).to_have_attribute("data-bs-theme", "dark")

    # Another browser (a fresh context) starts from the system's choice.
    other = new_page(browser, live_server, color_scheme="light")
    login(other, supervisor_user)
    expect(other.locator("html")).to_have_attribute("data-bs-theme", "light")
    other.context.close()
    page.context.close()


def test_wide_tables_are_named_keyboard_regions_without_javascript(
    browser, live_server, admin_user, every_kind_of_data
):
    """At phone width with the page's scripts off, each table region that scrolls sideways is
    so as served: reachable by Tab (tabindex 0), a named region, and axe finds no serious or
    critical violation (scrollable-region-focusable included)."""
    page = new_page(browser, live_server, width=WIDTHS["phone"])
    # Every script file of the page fails to load (it has no inline scripts), so none of ours,
    # htmx or Bootstrap runs; the browser's own JavaScript stays on for axe, which does not
    # finish in a context with JavaScript disabled.
    page.route(re.compile(r"\.js(\?|$)"), lambda route: route.abort())
    login(page, admin_user)
    pages = pages_to_visit(every_kind_of_data)
    for name in sorted(MUST_SCROLL["phone"]):
        page.goto(pages[name])
        # No script ran: filters.js would have folded the filter form at this width.
        if page.locator("details.filter-toggle").count():
            expect(page.locator("details.filter-toggle")).to_have_attribute("open", "")
        regions = page.locator(TABLE_REGIONS)
        expect(regions.first).to_be_attached()
        for i in range(regions.count()):
            region = regions.nth(i)
            expect(region).to_have_attribute("tabindex", "0")
            expect(region).to_have_role("region")
            expect(region).to_have_accessible_name(re.compile(r"\w"))
        assert_no_sideways_scroll(page, name)
        assert assert_kept_column_in_view(page, name), f"{name}: no table scrolled"
        assert_accessible(page)

    # By keyboard alone: Tab reaches the change history's region, the arrow key scrolls it.
    page.goto(pages["changes"])
    region = page.get_by_role("region", name="Changes")
    for _ in range(40):
        page.keyboard.press("Tab")
        if region.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the change history's region")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())
    page.context.close()


def test_without_tick_boxes_the_directory_keeps_the_name_at_the_edge(
    browser, live_server, supervisor_user, every_kind_of_data
):
    page = new_page(browser, live_server, width=WIDTHS["phone"])
    login(page, supervisor_user)
    page.goto("/agents/")
    expect(page.locator("#agent-table .col-select")).to_have_count(0)
    assert assert_kept_column_in_view(page, "directory without tick boxes")
    region = page.get_by_role("region", name="Agents table")
    region.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    name = page.locator("#agent-table tbody tr").first.locator("td.col-name")
    assert name.bounding_box()["x"] == pytest.approx(region.bounding_box()["x"], abs=2)
    page.context.close()
