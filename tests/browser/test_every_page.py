"""Every page at tablet (768 px) and phone (390 px) width, in the light and the dark colour
mode: axe finds no serious or critical violation, nothing scrolls the page sideways, the nav is
folded; on data whose heatmap uses every shade and has gaps."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from agents import working_hours
from agents.models import Agent, CadJob, Group, WorkingWindow
from agents.services import cad_jobs as cad_service
from agents.services.coverage import HEATMAP_LEVELS
from tests.fixtures.browser import assert_accessible, login, new_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"tablet": 768, "phone": 390}
MONDAY = 0
# Agents on duty on Monday from 09:00, one fewer each hour: 4, 3, 2, 1 (every shade of a
# heatmap whose busiest slot has 4), and nobody the rest of the week (gaps).
SHADE_AGENTS = ("2", "3", "4", "5")


@pytest.fixture
def every_kind_of_data(synced_sandbox, admin_user):
    """The sandbox's agents (groups, roles, long names), a finished CAD job, and working hours
    rewritten so the heatmap shows every shade and gaps."""
    # The job's own refresh of the directory comes first, so the hours below stay.
    job, _ = cad_service.cad_job_create(
        user=admin_user,
        action="enable",
        agent_ids=list(SHADE_AGENTS),
        idempotency_key=cad_service.new_idempotency_key(),
        filter_description="4 agents",
    )
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
    job.refresh_from_db()
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
        "cad-job-results-filtered": f"/cad/{job.public_id}/?outcome=succeeded",
        "cad-undo": f"/cad/{job.public_id}/undo/",
        "agent-not-found": "/agents/999999/",
        "status": "/status/",
        "changes": "/changes/",
        "targets": "/schedules/targets/",
    }


def assert_no_sideways_scroll(page, name: str) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
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
    for name, url in pages_to_visit(every_kind_of_data).items():
        page.goto(url)
        expect(page.locator("h1")).to_have_count(1)
        expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
        # The nav is folded behind its toggle at both widths.
        expect(page.get_by_role("button", name="Toggle navigation")).to_be_visible()
        expect(page.locator("#main-nav")).to_be_hidden()
        assert_no_sideways_scroll(page, name)
        assert_accessible(page)
        if width == WIDTHS["phone"]:
            screenshot(page, f"{name}-{scheme}-phone")

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
