"""The sandbox and `manage.py runserver` send an answer's parts without waiting for the
client to acknowledge the first (agents/tcp_no_delay.py): otherwise each answer of theirs
waited 40 ms for a delayed acknowledgement."""

import socket

import pytest
from django.core.management import get_commands, load_command_class
from django.core.servers.basehttp import WSGIRequestHandler

from agents.sandbox.server import make_server


def sandbox_server():
    return make_server(host="127.0.0.1", port=0, agents=10)


def runserver_server():
    runserver = load_command_class(get_commands()["runserver"], "runserver")
    return runserver.server_cls(("127.0.0.1", 0), WSGIRequestHandler)


@pytest.mark.parametrize("make", [sandbox_server, runserver_server], ids=["sandbox", "runserver"])
def test_an_accepted_connection_sends_without_delay(make):
    server = make()
    try:
        with socket.create_connection(server.server_address[:2]):
            connection, _ = server.get_request()
            with connection:
                assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        server.server_close()
