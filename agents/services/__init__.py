"""Use-cases: plain functions with keyword-only arguments, named `<entity>_<action>`.

Views, management commands and tasks all call these; none of them speaks HTTP to DeepCall
or parses its JSON (that is `agents.deepcall`).
"""

from agents.services.agent_queries import (
    agent_detail,
    agent_directory_listing,
    agent_export_rows,
    agents_matching,
)
from agents.services.home import database_ok, home_summary
from agents.services.read_model_status import sync_status
from agents.services.read_model_sync import agent_sync, agent_sync_request

__all__ = [
    "agent_detail",
    "agent_directory_listing",
    "agent_export_rows",
    "agent_sync",
    "agent_sync_request",
    "agents_matching",
    "database_ok",
    "home_summary",
    "sync_status",
]
