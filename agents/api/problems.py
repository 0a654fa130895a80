"""Errors as RFC 9457 problem details (`application/problem+json`), with the pages' wording.

An endpoint raises `ApiProblem(status, detail)`; `main` turns it, and Django's and ninja's own
errors (404, 403, validation), into the same shape, so a script reads one kind of error.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import Field

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemError(Schema):
    """One rejected value: where it was (a query parameter, a body field) and why."""

    name: str
    message: str


class Problem(Schema):
    """An RFC 9457 problem: `type` stays about:blank, so `title` is the status's own phrase."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path that answered.")
    errors: list[ProblemError] | None = Field(
        None, description="Each rejected value, for a request with bad input."
    )


class ApiProblem(Exception):
    """Answer the request with this problem; `headers` (e.g. Retry-After) are added."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def refuse_ignored_filters(state) -> None:
    """ApiProblem 422 when a list state ignored filter values: where a page would drop them with
    its notice, the API refuses the request in the notice's words, naming each value."""
    errors = state.filterset.form.errors
    if errors:
        raise ApiProblem(
            422,
            " ".join(state.notices),
            errors=[(name, " ".join(messages)) for name, messages in errors.items()],
        )


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    errors: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """The problem-details answer for `status` with `detail`."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = [{"name": name, "message": message} for name, message in errors]
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def refuse_unknown_parameters(request: HttpRequest, *schemas: type[Schema]) -> None:
    """ApiProblem 422 for a query parameter the endpoint does not take: a misspelt filter
    (`stauts=active`) would otherwise be ignored, and a CAD job sent to every agent."""
    known = {
        field.alias or name for schema in schemas for name, field in schema.model_fields.items()
    }
    unknown = sorted(set(request.GET) - known)
    if unknown:
        takes = ", ".join(sorted(known)) if known else "no query parameters"
        raise ApiProblem(
            422,
            f"Unknown query parameter “{unknown[0]}”: this endpoint takes {takes}.",
            errors=[(name, "Not a parameter of this endpoint.") for name in unknown],
        )
