"""What every list view shares: its page (`list_page`) and the choice between the whole page and
the htmx partial (`render_list`).

A list state (`agents.liststate`) parses the query string and makes the links; these take what
it validated and give the view one object for the page shown, with its counts, the notices the
page should show and its page links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property

from agents.liststate import PAGE_VAR, ListState, PageLink


class CountedPaginator(Paginator):
    """A Paginator told its count instead of counting: the directory service caches the count
    per read-model version, and a COUNT over 100,000 filtered agents is most of a page's time."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


@dataclass
class ListPage:
    """The page of a list on show: its rows, how many there are in all, what the page should
    say about the query (the list state's notices and a page number past the end), and the
    links to the other pages."""

    page: Page
    links: list[PageLink]
    previous_url: str
    next_url: str
    notices: list[str] = field(default_factory=list)

    @property
    def object_list(self) -> Sequence:
        return self.page.object_list

    @property
    def count(self) -> int:
        return self.page.paginator.count


def list_page(
    state: ListState, object_list, *, per_page: int, count: int | None = None
) -> ListPage:
    """The page `state` asks for of `object_list` (a queryset or a list), `per_page` rows a page.

    `count`, when the caller knows it (cached), spares the COUNT query. A page number past the
    end shows the last page and says so; the list state has already said when the number was
    not one.
    """
    if count is None:
        paginator = Paginator(object_list, per_page)
    else:
        paginator = CountedPaginator(object_list, per_page, count=count)
    asked = state.page_number
    page = paginator.get_page(asked)
    notices = list(state.notices)
    if page.number < asked and paginator.count:
        notices.append(f"There is no page {asked}; showing the last page, {paginator.num_pages}.")
    links = [
        PageLink(str(number), "")
        if number == paginator.ELLIPSIS
        else PageLink(str(number), state.url(**{PAGE_VAR: number}), number == page.number)
        for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    previous_url = (
        state.url(**{PAGE_VAR: page.previous_page_number()}) if page.has_previous() else ""
    )
    next_url = state.url(**{PAGE_VAR: page.next_page_number()}) if page.has_next() else ""
    return ListPage(page, links, previous_url, next_url, notices)


def wants_partial(request: HttpRequest) -> bool:
    """Whether to answer with the list's htmx partial rather than the whole page: an htmx
    request, except a history restore (the back button with htmx's cache off needs the page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_list(
    request: HttpRequest, template_name: str, partial: str, context: dict, **kwargs
) -> HttpResponse:
    """`template_name`, or only its `partial` for an htmx swap (`wants_partial`). The answer
    varies with HX-Request, so no cache hands one to the other."""
    if wants_partial(request):
        template_name = f"{template_name}#{partial}"
    response = render(request, template_name, context, **kwargs)
    patch_vary_headers(response, ("HX-Request",))
    return response
