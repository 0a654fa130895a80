"""No page shows template syntax: every URL pattern, for every role and anonymous users, as a
whole page and as an htmx partial, has no `{#`, `{%`, `{{` (or their ends) in its text or its
attributes. A comment `{# … #}` spanning two lines is not a comment to Django: it is printed."""

from html.parser import HTMLParser

import pytest

from agents.roles import ADMIN, MANAGER, SUPERVISOR
from tests.fixtures.users import make_user
from tests.security.test_url_permissions import PATTERNS, samples, url_for  # noqa: F401

TEMPLATE_SYNTAX = ("{#", "#}", "{%", "%}", "{{", "}}")
# Where braces are code, not text: the page's own scripts and styles.
CODE_ELEMENTS = {"script", "style"}


class TemplateSyntaxFinder(HTMLParser):
    """Collects each piece of text or attribute value that holds template syntax."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.open_code: list[str] = []

    def _check(self, text: str) -> None:
        if any(mark in text for mark in TEMPLATE_SYNTAX):
            self.found.append(text.strip()[:120])

    def handle_starttag(self, tag, attrs):
        for _, value in attrs:
            self._check(value or "")
        if tag in CODE_ELEMENTS:
            self.open_code.append(tag)

    def handle_endtag(self, tag):
        if self.open_code and self.open_code[-1] == tag:
            self.open_code.pop()

    def handle_data(self, data):
        if not self.open_code:
            self._check(data)

    def handle_comment(self, data):
        self._check(data)  # an HTML comment is sent to every user too


def template_syntax_in(html: str) -> list[str]:
    finder = TemplateSyntaxFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def test_the_finder_sees_a_two_line_comment_and_ignores_scripts():
    assert template_syntax_in("<p>{# one\ntwo #}</p>") == ["{# one\ntwo #}"]
    assert template_syntax_in("<a href=\"{% url 'x' %}\">x</a>") == ["{% url 'x' %}"]
    assert template_syntax_in("<script>if (a) {{}}</script><p>fine</p>") == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", [SUPERVISOR, MANAGER, ADMIN, None])
def test_no_page_shows_template_syntax(client, django_user_model, samples, role):  # noqa: F811
    user = make_user(django_user_model, f"user-{role}", role) if role else None
    checked = 0
    for key in sorted(PATTERNS):
        url = url_for(key, samples)
        for headers in ({}, {"HX-Request": "true"}):
            if user is not None:
                client.force_login(user)
            response = client.get(url, follow=True, headers=headers)
            if "text/html" not in response.get("Content-Type", ""):
                continue  # CSV, JSON: data, not a page
            assert template_syntax_in(response.content.decode()) == [], f"{role} GET {url}"
            checked += 1
    # Every pattern answered at least once with a page (its own, a 403 or the login page).
    assert checked >= len(PATTERNS)
