"""/api/v1/cad-jobs: start a bulk CAD job (picked agents, or all matching a filter), follow it,
read its per-agent results, retry its failures, undo it. Through `services.cad_jobs`, as the
pages: the same idempotency and overlap checks, the same team scope, the same audit log (each
job marked with the name of the token that started it)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from ninja import Header, Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StringConstraints, model_validator

from agents.api.agent_filters import AgentFilterBody, agent_filters_from
from agents.api.auth import needs
from agents.api.problems import ApiProblem, refuse_ignored_filters, refuse_unknown_parameters
from agents.forms import MAX_EXPLICIT_IDS, MAX_ID_LENGTH
from agents.liststate import CadJobListState
from agents.models import CadJob, CadResult
from agents.selection import Selection
from agents.services import cad_jobs as cad_service
from agents.services.team_scopes import (
    agent_ids_out_of_scope,
    cad_job_visible,
    made_within_scope,
    out_of_scope_message,
)
from agents.team_scope import active_team_scope

router = Router(tags=["CAD jobs"])

IDEMPOTENCY_KEY_MAX_LENGTH = 200
# The audit log's page holds 25 jobs; a script may ask for more at once, not without bound.
MAX_JOBS_PER_PAGE = 100
# A job's results: 500 a page, as agents are.
MAX_RESULTS_PER_PAGE = 500
AgentId = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[^\x00]+$")
]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        description="Any text you choose, once per job: the same key returns the same job.",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        pattern=r"^[\x21-\x7e]+$",
    ),
]


# --- schemas ---------------------------------------------------------------------------------


class CadJobIn(Schema):
    """The action, and either the agents by id or a filter (never both)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [{"required": ["agent_ids"]}, {"required": ["filter"]}],
        },
    )

    action: Literal["enable", "disable"]
    # Not nullable: give the one you mean and leave the other out.
    agent_ids: list[AgentId] = Field(
        None,
        min_length=1,
        max_length=MAX_EXPLICIT_IDS,
        description="Agents picked by id (at most 5,000).",
    )
    filter: AgentFilterBody = Field(
        None,
        description="Every agent matching the directory's filters (the names of GET agents), "
        'e.g. {"group": ["501"], "status": "active"}; {} is every agent.',
    )
    skip_already_set: bool = Field(
        False,
        description="Leave out (and record as skipped) the agents CAD is already so for, as "
        "set here; false sends to all of them, as the page's default.",
    )

    @model_validator(mode="after")
    def _one_selection(self):
        if (self.agent_ids is None) == (self.filter is None):
            raise ValueError("Give either agent_ids or filter, not both or neither.")
        return self


class CadJobOut(Schema):
    id: UUID
    url: str
    results_url: str
    action: Literal["enable", "disable"]
    kind: Literal["new", "retry", "undo"]
    status: Literal["queued", "running", "succeeded", "partial", "failed", "interrupted"]
    status_text: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by: str
    api_token_name: str = Field(description='The token that started it; "" from the pages.')
    source_job: UUID | None = Field(description="The job a retry or an undo follows up.")
    filter_description: str = Field(
        description='The selection in words; "" when the job was made for groups beyond your '
        "team scope (as on its page)."
    )
    filter_query: str = Field(description='The filter it selected by; "" likewise.')
    total: int
    done: int
    succeeded: int
    failed: int
    not_attempted: int
    skipped: int
    message: str


class CadJobPage(Schema):
    count: int
    page: int
    per_page: int
    next: str | None
    results: list[CadJobOut]


class CadResultOut(Schema):
    agent_id: str
    agent_name: str
    outcome: Literal["succeeded", "failed", "not_attempted", "skipped"]
    message: str
    code: int | None
    state_before: Literal["on", "off", "unknown", ""] = Field(
        description="CAD as set here just before the agent's turn: on, off, unknown (never "
        "set here); empty for a result recorded before this was kept."
    )
    recorded_at: datetime


class CadResultPage(Schema):
    count: int
    hidden: int = Field(description="Results of agents outside your team scope, not listed.")
    page: int
    per_page: int
    next: str | None
    results: list[CadResultOut]


class UndoPlanOut(Schema):
    action: Literal["enable", "disable"]
    restore: int = Field(description="Agents switched back: their state before is known.")
    kept: int = Field(description="Agents left as they are: already so before the job.")
    unknown: int = Field(description="Agents whose state before is not known.")
    unknown_agents: list[str] = Field(description="The first of those, by id.")


class UndoIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unknown: Literal["leave", "revert"] = Field(
        "leave",
        description="The agents whose state before is not known: leave them as they are, or "
        "switch them back too (the page's choice).",
    )


class PageQuery(Schema):
    page: int = Field(1, ge=1)


# --- helpers ---------------------------------------------------------------------------------


def _stored_key(request: HttpRequest, key: str) -> str:
    """The key as stored: per user (one user's key never finds another's job), and 64
    characters whatever was sent. The pages' keys are 32 hex characters: never equal."""
    return hashlib.sha256(f"api\x1f{request.auth.user_id}\x1f{key}".encode()).hexdigest()


def job_out(request: HttpRequest, job: CadJob) -> dict:
    # What another admin typed may name agents outside the team scope: as on the job's page,
    # a job made for groups beyond the token user's shows neither its filter nor its words.
    typed_within_scope = made_within_scope(job.scope_keys)
    url = request.build_absolute_uri(reverse("api-v1:cad_job_get", args=[job.public_id]))
    return {
        "id": job.public_id,
        "url": url,
        "results_url": request.build_absolute_uri(
            reverse("api-v1:cad_job_results", args=[job.public_id])
        ),
        "action": job.action,
        "kind": job.kind,
        "status": job.status,
        "status_text": job.get_status_display(),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "created_by": job.created_by.get_username(),
        "api_token_name": job.api_token_name,
        "source_job": job.source_job.public_id if job.source_job_id else None,
        "filter_description": job.filter_description if typed_within_scope else "",
        "filter_query": job.filter_query if typed_within_scope else "",
        "total": job.total,
        "done": job.done,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "not_attempted": job.not_attempted,
        "skipped": job.skipped,
        "message": job.message,
    }


def _job_in_scope(public_id: UUID) -> CadJob:
    """The job, or 404 when it does not exist or touched no agent of the team scope (as the
    page, the two are not told apart)."""
    job = (
        CadJob.objects.select_related("created_by", "source_job")
        .filter(public_id=public_id)
        .first()
    )
    if job is None or not cad_job_visible(job):
        raise ApiProblem(404, "No such CAD job.")
    return job


def _next_url(request: HttpRequest, *, page: int, shown_to: int, count: int) -> str | None:
    if shown_to >= count:
        return None
    params = request.GET.copy()
    params["page"] = str(page + 1)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def _blank_values_left_out(params: QueryDict) -> QueryDict:
    """The query without its empty values: an empty filter is no filter, as in the page's form."""
    kept = QueryDict(mutable=True)
    for name, values in params.lists():
        if given := [value for value in values if value.strip()]:
            kept.setlist(name, given)
    return kept


def _created(request: HttpRequest, response: HttpResponse, job: CadJob, created: bool):
    response["Location"] = reverse("api-v1:cad_job_get", args=[job.public_id])
    return Status(201 if created else 200, job_out(request, job))


def _selection(request: HttpRequest, payload: CadJobIn) -> Selection:
    """The agents the payload names, as the page's selection; refused (403/422) when any id
    is not an agent the user may act on."""
    if payload.filter is not None:
        state = agent_filters_from(payload.filter)
        return Selection(all_matching_query=state.filter_query)
    ids = list(dict.fromkeys(payload.agent_ids))
    if not ids:
        raise ApiProblem(422, "No agents selected: give at least one agent id.")
    selection = Selection(agent_ids=set(ids))
    missing = agent_ids_out_of_scope(ids)
    if missing:
        raise ApiProblem(403, out_of_scope_message(len(missing)))
    if active_team_scope().is_whole_account:
        found = set(selection.agents().values_list("agent_id", flat=True))
        unknown = [i for i in ids if i not in found]
        if unknown:
            shown = ", ".join(f"“{i}”" for i in unknown[:10])
            raise ApiProblem(
                422,
                f"{len(unknown):,} of these agent ids are not in the directory: {shown}. "
                "Nothing was started.",
                errors=[("agent_ids", f"Not in the directory: {i}") for i in unknown[:50]],
            )
    return selection


# --- endpoints -------------------------------------------------------------------------------


@router.post(
    "/cad-jobs",
    response={200: CadJobOut, 201: CadJobOut},
    summary="Start a CAD job",
    auth=needs("agents.run_cad_jobs"),
)
def cad_job_create(
    request: HttpRequest,
    payload: CadJobIn,
    idempotency_key: IdempotencyKey,
    response: HttpResponse,
):
    """Enable or disable CAD for the agents picked by id, or for every agent matching the
    directory's filters. 201 with the job and its Location; the same `Idempotency-Key` again
    returns that job (200) and starts nothing. 409 when the agents are in a job still running,
    or nothing is left to send."""
    refuse_unknown_parameters(request)
    key = _stored_key(request, idempotency_key)
    existing = CadJob.objects.select_related("created_by", "source_job").filter(idempotency_key=key)
    if job := existing.first():
        return _created(request, response, job, created=False)
    selection = _selection(request, payload)
    try:
        job, created = cad_service.cad_job_create(
            user=request.auth.user,
            action=payload.action,
            agent_ids=list(selection.agents().values_list("agent_id", flat=True)),
            idempotency_key=key,
            filter_query=selection.all_matching_query or "",
            filter_description=selection.description,
            skip_already_set=payload.skip_already_set,
            api_token_name=request.auth.name,
        )
    except cad_service.CadJobRefused as refused:
        raise ApiProblem(409, refused.message) from refused
    return _created(request, response, job, created=created)


class CadJobListQuery(PageQuery):
    per_page: int = Field(25, ge=1, le=MAX_JOBS_PER_PAGE)
    action: Literal["enable", "disable"] | None = None
    created_by: int | None = Field(None, ge=1, description="A user's id: jobs they started.")
    created_from: date | None = Field(None, description="A day (included).")
    created_to: date | None = Field(None, description="A day (included).")


@router.get(
    "/cad-jobs", response=CadJobPage, summary="The CAD audit log", auth=needs("agents.view_cadjob")
)
def cad_job_list(request: HttpRequest, query: Query[CadJobListQuery]):
    """Every CAD job that touched an agent of your team scope, newest first, with the audit
    log page's filters."""
    refuse_unknown_parameters(request, CadJobListQuery)
    state = CadJobListState(_blank_values_left_out(request.GET))
    refuse_ignored_filters(state)
    jobs = state.filterset.qs.select_related("source_job")
    count = jobs.count()
    start = (query.page - 1) * query.per_page
    page = list(jobs[start : start + query.per_page]) if start < count else []
    return {
        "count": count,
        "page": query.page,
        "per_page": query.per_page,
        "next": _next_url(request, page=query.page, shown_to=start + query.per_page, count=count),
        "results": [job_out(request, job) for job in page],
    }


@router.get(
    "/cad-jobs/{uuid:job_id}",
    response=CadJobOut,
    summary="One CAD job: status, counts",
    auth=needs("agents.view_cadjob"),
)
def cad_job_get(request: HttpRequest, job_id: UUID):
    refuse_unknown_parameters(request)
    return job_out(request, _job_in_scope(job_id))


class CadResultQuery(PageQuery):
    per_page: int = Field(100, ge=1, le=MAX_RESULTS_PER_PAGE)
    outcome: Literal["succeeded", "failed", "not_attempted", "skipped"] | None = None


@router.get(
    "/cad-jobs/{uuid:job_id}/results",
    response=CadResultPage,
    summary="A CAD job's per-agent results",
    auth=needs("agents.view_cadjob"),
)
def cad_job_results(request: HttpRequest, job_id: UUID, query: Query[CadResultQuery]):
    """Each agent's outcome and DeepCall's message, by outcome then name, within your team
    scope (`hidden` counts the others)."""
    refuse_unknown_parameters(request, CadResultQuery)
    job = _job_in_scope(job_id)
    results = cad_service.cad_job_results(job, outcome=query.outcome)
    count = results.count()
    start = (query.page - 1) * query.per_page
    rows = list(results[start : start + query.per_page]) if start < count else []
    return {
        "count": count,
        "hidden": cad_service.cad_job_results_hidden(job),
        "page": query.page,
        "per_page": query.per_page,
        "next": _next_url(request, page=query.page, shown_to=start + query.per_page, count=count),
        "results": [_result_out(result) for result in rows],
    }


def _result_out(result: CadResult) -> dict:
    return {
        "agent_id": result.agent_id,
        "agent_name": result.agent_name,
        "outcome": result.outcome,
        "message": result.message,
        "code": result.code,
        "state_before": result.state_before,
        "recorded_at": result.recorded_at,
    }


def _finished(job: CadJob, doing: str) -> None:
    if not job.is_finished:
        raise ApiProblem(409, f"This job is still running: {doing} it once it has finished.")


@router.post(
    "/cad-jobs/{uuid:job_id}/retry",
    response={200: CadJobOut, 201: CadJobOut},
    summary="Retry a job's failed agents",
    auth=needs("agents.run_cad_jobs"),
)
def cad_job_retry(
    request: HttpRequest, job_id: UUID, idempotency_key: IdempotencyKey, response: HttpResponse
):
    """A new job, the same action, for the agents that failed or were not attempted (of your
    team scope). 201 with it; the same `Idempotency-Key` returns it again (200)."""
    refuse_unknown_parameters(request)
    job = _job_in_scope(job_id)
    key = _stored_key(request, idempotency_key)
    if existing := CadJob.objects.filter(idempotency_key=key).first():
        return _created(request, response, existing, created=False)
    _finished(job, "retry")
    try:
        new = cad_service.cad_job_retry_failed(
            job=job, user=request.auth.user, idempotency_key=key, api_token_name=request.auth.name
        )
    except cad_service.CadJobRefused as refused:
        raise ApiProblem(409, refused.message) from refused
    return _created(request, response, new, created=True)


@router.get(
    "/cad-jobs/{uuid:job_id}/undo",
    response=UndoPlanOut,
    summary="What undoing a job would do",
    auth=needs("agents.run_cad_jobs"),
)
def cad_job_undo_plan(request: HttpRequest, job_id: UUID):
    """The undo page's plan: how many agents are switched back, left as they are, and whose
    state before is not known (your choice, with `unknown` when you undo)."""
    refuse_unknown_parameters(request)
    job = _job_in_scope(job_id)
    _finished(job, "undo")
    plan = cad_service.cad_undo_plan(job)
    return {
        "action": plan.action,
        "restore": len(plan.restore),
        "kept": plan.kept,
        "unknown": len(plan.unknown),
        "unknown_agents": [agent_id for agent_id, _ in plan.unknown_names],
    }


@router.post(
    "/cad-jobs/{uuid:job_id}/undo",
    response={200: CadJobOut, 201: CadJobOut},
    summary="Undo a job",
    auth=needs("agents.run_cad_jobs"),
)
def cad_job_undo(
    request: HttpRequest,
    job_id: UUID,
    payload: UndoIn,
    idempotency_key: IdempotencyKey,
    response: HttpResponse,
):
    """Put back the state each agent had before the job: a new job of the opposite action.
    Agents whose state before is not known are left, unless `unknown` is "revert"."""
    refuse_unknown_parameters(request)
    job = _job_in_scope(job_id)
    key = _stored_key(request, idempotency_key)
    if existing := CadJob.objects.filter(idempotency_key=key).first():
        return _created(request, response, existing, created=False)
    _finished(job, "undo")
    try:
        new = cad_service.cad_job_undo(
            job=job,
            user=request.auth.user,
            idempotency_key=key,
            include_unknown=payload.unknown == "revert",
            api_token_name=request.auth.name,
        )
    except cad_service.CadJobRefused as refused:
        raise ApiProblem(409, refused.message) from refused
    return _created(request, response, new, created=True)
