"""Lambda's async invoke in memory: tests/contract holds it to the same suite as ThreadLauncher and LambdaLauncher."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from search_service.domain.errors import LaunchFailed

R = TypeVar("R")


class InMemoryLauncher(Generic[R]):
    """`launch` only queues the search, as Lambda queues the event; `deliver` runs what is queued through `run`
    (a `RunSearch`, say), in the test's thread, as the search Lambda would. While `broken`, `launch` raises
    `LaunchFailed`, as when the search function is throttled, and queues nothing."""

    def __init__(self, run: Callable[[str], R]) -> None:
        self.broken = False
        self._run = run
        self._queue: list[str] = []

    def launch(self, search_id: str) -> None:
        if self.broken:
            raise LaunchFailed("invoke failed: TooManyRequestsException")
        self._queue.append(search_id)

    def deliver(self) -> list[R]:
        """Runs every queued search once, in launch order; what each run returned."""
        queued, self._queue = self._queue, []
        return [self._run(search_id) for search_id in queued]


if TYPE_CHECKING:
    from search_service.domain.ports import SearchLauncher

    _: SearchLauncher = InMemoryLauncher(print)
