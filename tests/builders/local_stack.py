"""The whole local stack for tests: on free ports, suppliers answering at once, stopped with nothing left behind."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local_stack.chat import Chat
from local_stack.envelopes import Device
from local_stack.s3 import EmbeddedS3
from local_stack.stack import LocalStack, StackOptions
from tests.builders.today import DEVICE_ZONE, stack_clock
from tests.builders.waiting import PATIENCE_S, wait_until

RETRY_DELAYS_S = (0.05,)  # the template's one retry, a few milliseconds later


@contextmanager
def running_stack(**options: Any) -> Iterator[LocalStack]:
    """The whole stack on free ports, on the tests' clock (tests.builders.today), suppliers answering at once unless
    `latency_scale` says otherwise; stopped at the end, with no thread or child process of it left behind."""
    before = {thread.ident for thread in threading.enumerate()}
    settings: dict[str, Any] = {"latency_scale": 0, "async_retry_delays_s": RETRY_DELAYS_S, "clock": stack_clock()}
    settings.update(options)
    stack = LocalStack(StackOptions(skill_port=0, api_port=0, **settings)).start()
    runtime = stack.api.runtime
    children = [child for child in (embedded_s3(stack)._child, runtime._child if runtime else None) if child]
    try:
        yield stack
    finally:
        stack.stop()
    assert children and all(child.poll() is not None for child in children), "the stack left a process running"
    wait_until(lambda: not _new_threads(before), PATIENCE_S)  # handler threads finish the request they were on
    leaked = _new_threads(before)
    assert not leaked, f"the local stack left threads behind: {leaked}"


def _new_threads(before: set[int | None]) -> list[str]:
    return [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]


def embedded_s3(stack: LocalStack) -> EmbeddedS3:
    """The stack's S3. LocalStack keeps it private; the tests stop it and make it fail."""
    s3 = stack._s3
    assert s3 is not None, "start() first"
    return s3


def device(stack: LocalStack, **fields: Any) -> Device:
    """A device talking to `stack`, on its clock, in the tests' time zone; `fields`: Device's other fields. Each
    device is a user of its own unless `user_id` says otherwise: the skill keeps a user's last trip in the stack's S3,
    and one test's user must not be welcomed back to another test's trip."""
    fields.setdefault("user_id", f"amzn1.ask.account.TEST{uuid.uuid4().hex.upper()}")
    return Device(
        stack.progressive_endpoint, stack.access_token, clock=stack.options.clock.now, time_zone=DEVICE_ZONE, **fields
    )


def api_user(chat: Chat) -> str:
    """The pseudonym the skill sends the search API as `user` for this conversation's Alexa user."""
    return hashlib.sha256(f"car-search|{chat.device.user_id}".encode()).hexdigest()[:40]


def token_of(chat: Chat) -> str | None:
    """The search token the skill keeps in its session attributes."""
    return (chat.device.attributes.get("trip") or {}).get("token")
