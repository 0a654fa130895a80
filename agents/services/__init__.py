"""Use-cases: plain functions with keyword-only arguments, named `<entity>_<action>`.

Views, management commands and tasks all call these; none of them speaks HTTP to DeepCall
or parses its JSON (that is `agents.deepcall`).
"""

from agents.services.home import database_ok, home_summary

__all__ = ["database_ok", "home_summary"]
