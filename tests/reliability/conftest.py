"""Shared by the reliability tests: the whole local stack on free ports, suppliers answering at once, started
once per module and stopped after it, with no thread of it left behind."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from local_stack.stack import LocalStack, StackOptions


@pytest.fixture(scope="module")
def local_stack() -> Iterator[LocalStack]:
    before = {thread.ident for thread in threading.enumerate()}
    stack = LocalStack(StackOptions(skill_port=0, api_port=0, latency_scale=0, async_retry_delays_s=(0.1,)))
    stack.start()
    yield stack
    stack.stop()
    deadline = time.monotonic() + 5  # handler threads finish the request they were on
    while (leaked := [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert not leaked, f"the local stack left threads behind: {leaked}"
