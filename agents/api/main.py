"""The NinjaAPI mounted at /api/v1/: its routers, its authentication, and its errors.

Every error, ours and ninja's and Django's, answers as an RFC 9457 problem (`problems`); the
OpenAPI schema says so, for every operation (`ProblemDocumentedAPI`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from agents.api import agents, cad_jobs, changes, coverage, targets
from agents.api.auth import ApiTokenAuth
from agents.api.problems import PROBLEM_CONTENT_TYPE, ApiProblem, Problem, problem_response

MISSING_CREDENTIALS = (
    "Send a personal API token as “Authorization: Bearer <token>” (make one on "
    "/account/tokens/). The API does not accept the dashboard's session cookie."
)
# The errors any operation may answer with, besides its own success.
COMMON_PROBLEMS = {
    "400": "The URL holds a NUL character, or the body is not JSON.",
    "401": "No valid API token.",
    "403": "The token's role does not allow this.",
    "404": "Not found, or not in the token user's team scope.",
    "422": "A value of the request was refused.",
    "429": "Over the token's rate limit; see Retry-After.",
}
# And those of the operations that change something.
CHANGE_PROBLEMS = {
    "409": "Refused as things stand (a job still running, nothing to do); `detail` says why.",
    "413": "The body is over 1 MB.",
}
DESCRIPTION = """\
The dashboard's data and actions for scripts and other systems, with the same rules as the
pages: a token acts with its user's role and team scope. Send `Authorization: Bearer <token>`
(make a token on [/account/tokens/](/account/tokens/)). Errors are RFC 9457 problem details
(`application/problem+json`). Each token may make `API_RATE_LIMIT` requests a minute (600 by
default); past it, 429 with `Retry-After`.
"""


class ProblemDocumentedAPI(NinjaAPI):
    """The schema lists the problem answers every operation may give, as problem+json."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(
            Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs")
        )
        components["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components["Problem"].pop("$defs", None)
        problem = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path in schema["paths"].values():
            for method, operation in path.items():
                responses = {str(code): answer for code, answer in operation["responses"].items()}
                operation["responses"] = responses
                problems = dict(COMMON_PROBLEMS)
                if method in ("post", "put"):
                    problems.update(CHANGE_PROBLEMS)
                for status, description in problems.items():
                    responses[status] = {"description": description, "content": problem}
                for status, answer in responses.items():
                    if status.startswith("4") and "content" in answer:
                        answer["content"] = problem
        return schema


api = ProblemDocumentedAPI(
    title="DeepCall dashboard API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=ApiTokenAuth(),
    # The schema and its page are read, never posted to (405, as the pages' GET-only views).
    docs_decorator=require_safe,
)
api.add_router("", agents.router)
api.add_router("", cad_jobs.router)
api.add_router("", changes.router)
api.add_router("", targets.router)
api.add_router("", coverage.router)


def _authentication_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    detail = getattr(request, "api_token_refused", "") or MISSING_CREDENTIALS
    return problem_response(request, 401, detail, headers={"WWW-Authenticate": "Bearer"})


def _api_problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return problem_response(request, exc.status, exc.detail, errors=exc.errors, headers=exc.headers)


def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        # ninja names where a value was ("query", "body") and the parameter's own model.
        if location and location[0] in {"query", "path", "header", "body"}:
            location = location[1:]
        if location and location[0] in {"query", "payload"}:
            location = location[1:]
        errors.append((".".join(location) or "request", str(error.get("msg", "Not valid."))))
    names = ", ".join(dict.fromkeys(name for name, _ in errors))
    return problem_response(request, 422, f"Refused: not a valid value for {names}.", errors=errors)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(request, exc.status_code, str(exc))


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, 404, str(exc) or "Not found.")


def _permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, 403, str(exc) or "Your role does not allow this.")


api.add_exception_handler(AuthenticationError, _authentication_error)
api.add_exception_handler(ApiProblem, _api_problem)
api.add_exception_handler(ValidationError, _validation_error)
api.add_exception_handler(HttpError, _http_error)
api.add_exception_handler(Http404, _not_found)
api.add_exception_handler(PermissionDenied, _permission_denied)


@csrf_exempt
def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/: a problem, not the pages' HTML 404."""
    return problem_response(request, 404, f"No such API endpoint: {request.path}")
