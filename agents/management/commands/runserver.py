"""`manage.py runserver`: WhiteNoise's (static files as in production), on a server that sends
each answer without waiting for the client's acknowledgement (agents/tcp_no_delay.py)."""

from django.core.servers.basehttp import WSGIServer
from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as WhiteNoiseRunserverCommand,
)

from agents.tcp_no_delay import SendsWithoutDelay


class DevelopmentServer(SendsWithoutDelay, WSGIServer):
    pass


class Command(WhiteNoiseRunserverCommand):
    server_cls = DevelopmentServer
