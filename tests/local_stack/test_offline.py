"""The guard every test run, benchmark and cold-start child is under (tests/conftest.py applies it)."""

from __future__ import annotations

import re
import socket

import pytest


def test_a_name_beyond_loopback_is_not_even_looked_up() -> None:
    with pytest.raises(RuntimeError, match=re.escape("a test tried to resolve 's3.amazonaws.com'")):
        socket.getaddrinfo("s3.amazonaws.com", 443)
    with pytest.raises(RuntimeError, match="tried to resolve"):
        socket.getaddrinfo(b"example.com", 80)


def test_a_connection_beyond_loopback_is_refused_before_it_leaves() -> None:
    refused = re.escape("a test tried to reach ('192.0.2.1', 80)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(RuntimeError, match=refused):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed


def test_loopback_stays_open() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert socket.getaddrinfo("localhost", server.getsockname()[1])
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
