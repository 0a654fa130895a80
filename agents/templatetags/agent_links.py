"""`{{ agent_id|agent_url }}`: the agent's page, as `{% url 'agent-detail' agent_id %}` links
it, for lists that link every row (`converters.agent_detail_url` reverses the route once)."""

from django import template

from agents.converters import agent_detail_url

register = template.Library()
register.filter("agent_url", agent_detail_url)
