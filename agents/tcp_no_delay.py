"""HTTP servers that send an answer as soon as it is written (TCP_NODELAY).

Python's own HTTP servers (http.server, wsgiref, and Django's development and test servers
on top of them) write an answer in several writes: headers, then body. With Nagle's algorithm,
the kernel's default, a write waits until the client has acknowledged the one before, and a
client with nothing to send delays its acknowledgement by 40 ms on Linux: each answer of the
sandbox and of `runserver` took 40 ms longer than its work (README, Performance). gunicorn
sets the option on its own connections.
"""

from __future__ import annotations

import socket


class SendsWithoutDelay:
    """For a `socketserver.TCPServer`: every connection it accepts sends without waiting."""

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address
