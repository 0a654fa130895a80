"""Reads of agents' personal data through the API go to the same audit trail as the pages' CSV
exports (`CsvExport`, the exports page), marked with the token's name."""

from __future__ import annotations

from django.http import HttpRequest

from agents.models import CsvExport
from agents.services.team_scopes import team_scope_record
from agents.team_scope import active_team_scope


def api_read_record(request: HttpRequest, *, filter_query: str, rows: int) -> None:
    """Record that the request's token read `rows` rows with the validated `filter_query`."""
    user = request.auth.user
    CsvExport.objects.create(
        user=user,
        username=user.get_username(),
        path=request.path,
        filter_query=filter_query,
        rows=rows,
        completed=True,
        api_token_name=request.auth.name,
        scope_keys=team_scope_record(active_team_scope()),
    )
