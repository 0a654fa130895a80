"""What every page's chrome shows: the user's role names and the main menu."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject

from agents.roles import ROLE_PERMISSIONS


@dataclass(frozen=True, slots=True)
class MenuEntry:
    label: str
    url_name: str
    permission: str  # shown to those who have it; the view checks it again
    current_on: tuple[str, ...]  # the URL names of the pages it is the current entry on


MAIN_MENU = (
    MenuEntry("Agents", "agent-list", "agents.view_agent", ("agent-list", "agent-detail")),
    MenuEntry("Changes", "change-list", "agents.view_agent", ("change-list",)),
    MenuEntry("Schedules", "schedules", "agents.view_schedules", ("schedules",)),
    MenuEntry("CAD jobs", "cad-job-list", "agents.view_cadjob", ("cad-job-list", "cad-job-detail")),
    MenuEntry(
        "DeepCall status", "upstream-status", "agents.view_upstream_status", ("upstream-status",)
    ),
    MenuEntry("Exports", "csv-export-list", "agents.view_csvexport", ("csv-export-list",)),
    MenuEntry("Sign-ins", "sign-in-list", "agents.view_signinevent", ("sign-in-list",)),
    MenuEntry("Users", "user-list", "auth.view_user", ("user-list",)),
)


@dataclass(frozen=True, slots=True)
class MenuLink:
    label: str
    url: str
    current: bool


@lru_cache(maxsize=64)
def _menu_url(url_name: str, script_prefix: str) -> str:
    # A route's URL changes only with the prefix the site is served under: reversed once per
    # process, not on every page (30 µs each).
    return reverse(url_name)


def main_menu(request: HttpRequest) -> list[MenuLink]:
    """The entries of MAIN_MENU the user may open, the current page's marked."""
    match = request.resolver_match
    url_name = match.url_name if match else None
    prefix = get_script_prefix()
    return [
        MenuLink(entry.label, _menu_url(entry.url_name, prefix), url_name in entry.current_on)
        for entry in MAIN_MENU
        if request.user.has_perm(entry.permission)
    ]


def navigation(request: HttpRequest) -> dict:
    """The user's role names and the main menu (permissions themselves are checked in views).

    Lazy: read only where a template shows them, so an htmx partial costs nothing for them.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": [], "main_menu": []}
    return {
        "user_roles": SimpleLazyObject(
            lambda: [g.name for g in user.groups.all() if g.name in ROLE_PERMISSIONS]
        ),
        "main_menu": SimpleLazyObject(lambda: main_menu(request)),
    }
