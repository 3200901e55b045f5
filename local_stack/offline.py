"""Keeps a process on this machine: from `stay_offline()` on, a connection to anything but loopback, or a name lookup
of anything but loopback (a DNS query leaves the machine too), raises at once. Tests, benchmarks and the cold-start
child all run offline; this is what holds them to it."""

from __future__ import annotations

import socket
from typing import Any

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def stay_offline(who: str) -> None:
    """For the whole process, every thread included. `who` names the culprit in the error ("a test")."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK:
            raise RuntimeError(f"{who} tried to reach {address!r}: it never leaves this machine")
        real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in (None, "") and name not in LOOPBACK:
            raise RuntimeError(f"{who} tried to resolve {name!r}: it never leaves this machine")
        return real_getaddrinfo(host, *args, **kwargs)

    # Replacing a method of the class is the point here, and `self` is a socket.socket where the stubs declare
    # connect() on its C base, _socket.socket.
    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
