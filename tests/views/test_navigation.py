"""The main menu: each role sees the pages it may open, and the page it is on is marked."""

import re

import pytest

pytestmark = pytest.mark.django_db


def menu(response) -> list[tuple[str, str, bool]]:
    """(label, URL, current) of each entry of the main menu."""
    nav = re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>', response.content.decode(), re.S)
    return [
        (label, url, "active" in classes and 'aria-current="page"' in classes)
        for classes, url, label in re.findall(
            r'<a class="nav-link([^"]*"(?: aria-current="page")?) href="([^"]+)">([^<]+)</a>',
            nav.group(1),
        )
    ]


def test_a_supervisor_is_offered_the_directory_changes_and_schedules(supervisor_client):
    assert menu(supervisor_client.get("/agents/")) == [
        ("Agents", "/agents/", True),
        ("Changes", "/changes/", False),
        ("Schedules", "/schedules/", False),
    ]


def test_an_agents_own_page_marks_the_agents_entry(supervisor_client):
    entries = menu(supervisor_client.get("/agents/no-such-agent/"))
    assert entries[0] == ("Agents", "/agents/", True)


def test_an_admin_is_offered_every_page_and_the_one_open_is_marked(admin_client):
    entries = menu(admin_client.get("/cad/"))
    assert [label for label, _, _ in entries] == [
        "Agents",
        "Changes",
        "Schedules",
        "CAD jobs",
        "DeepCall status",
        "Exports",
        "Sign-ins",
        "Users",
    ]
    assert [label for label, _, current in entries if current] == ["CAD jobs"]


def test_a_manager_reads_cad_jobs_but_not_the_admin_pages(manager_client):
    labels = [label for label, _, _ in menu(manager_client.get("/schedules/"))]
    assert labels == ["Agents", "Changes", "Schedules", "CAD jobs"]
