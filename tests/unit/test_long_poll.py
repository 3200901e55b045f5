"""The long poll's wait on a fake clock: it reads again every interval, answers at the first read that changed,
and ends when its time is up, with no real sleeping (FakeSleeper moves the FixedClock)."""

from __future__ import annotations

import pytest

from search_service.domain.filters import OfferFilter
from search_service.domain.long_poll import SAFETY_S, LongPoll, granted_wait
from search_service.domain.results import ResultsView
from tests.builders.in_memory import answering, in_memory_service
from tests.fakes.clock import FakeSleeper, FixedClock
from tests.fakes.suppliers import GatedSupplier


def _counter() -> tuple[list[int], LongPoll, FakeSleeper, FixedClock]:
    from datetime import UTC, datetime

    clock = FixedClock(datetime(2026, 11, 23, 15, tzinfo=UTC))
    sleeper = FakeSleeper(clock)
    return [], LongPoll(clock, sleeper, interval_s=0.5), sleeper, clock


def test_an_answer_that_already_differs_is_given_at_once() -> None:
    reads, poll, sleeper, _ = _counter()
    waited = poll(lambda: reads.append(1) or len(reads), lambda first, now: True, wait_s=20)
    assert (waited.value, waited.reads, sleeper.slept) == (1, 1, [])


def test_the_wait_ends_at_the_first_read_that_changed() -> None:
    reads, poll, sleeper, _ = _counter()
    waited = poll(lambda: reads.append(1) or len(reads), lambda first, now: now >= 4, wait_s=20)
    assert (waited.value, waited.reads) == (4, 4)
    assert sleeper.slept == [0.5, 0.5, 0.5]


def test_nothing_changes_and_the_wait_ends_on_time_with_the_last_read() -> None:
    reads, poll, sleeper, _ = _counter()
    waited = poll(lambda: reads.append(1) or len(reads), lambda first, now: False, wait_s=1.2)
    # 0.5 + 0.5 + the 0.2 left: never past the wait, and a read after the last sleep
    assert sleeper.slept == pytest.approx([0.5, 0.5, 0.2])
    assert waited.reads == 4 and waited.value == 4


def test_no_wait_is_one_read() -> None:
    reads, poll, sleeper, _ = _counter()
    assert poll(lambda: reads.append(1) or len(reads), lambda first, now: False, wait_s=0).reads == 1
    assert sleeper.slept == []


def test_the_interval_must_be_positive() -> None:
    _, _, sleeper, clock = _counter()
    with pytest.raises(ValueError, match="positive"):
        LongPoll(clock, sleeper, interval_s=0)


@pytest.mark.parametrize(
    ("asked", "cap", "remaining", "granted"),
    [
        (5, 20, None, 5),
        (600, 20, None, 20),  # capped
        (20, 20, 10.0, int(10 - SAFETY_S)),  # within the function's time left, less the margin
        (20, 20, 2.0, 0),  # no time left to wait in
        (20, 0, None, 0),  # long polls turned off
    ],
)
def test_the_wait_granted(asked: int, cap: int, remaining: float | None, granted: int) -> None:
    assert granted_wait(asked, cap, remaining) == granted


def test_a_long_poll_of_the_results_answers_when_the_company_asked_for_has_answered(clock: FixedClock) -> None:
    # GIVEN a search where Hertz answers 2 s into a client's wait (on the fake clock)
    gate: dict[str, GatedSupplier] = {}

    def held(inner: object) -> GatedSupplier:
        gate["hertz"] = GatedSupplier(inner)  # type: ignore[arg-type]
        return gate["hertz"]

    service = in_memory_service(clock, answering(hertz=held), supplier_timeout_s=0.01)
    started = service.start_search()
    hertz = OfferFilter(supplier="hertz")
    assert service.read(started, hertz).status == "pending"  # the run has not been delivered yet

    def at(elapsed_s: float) -> None:
        if elapsed_s >= 2 and not gate["hertz"].gate.is_set():
            gate["hertz"].gate.set()
            service.launcher.deliver()

    sleeper = FakeSleeper(clock, on_sleep=at)
    poll = LongPoll(clock, sleeper, interval_s=0.5)

    def changed(first: ResultsView, now: ResultsView) -> bool:
        return now.status != first.status

    waited = poll(lambda: service.read(started, hertz), changed, wait_s=20)

    # THEN the wait ends at the read after Hertz's answer was stored: 2 s, four sleeps, five reads
    assert waited.value.status == "complete"
    assert {offer.supplier for offer in waited.value.offers} == {"hertz"}
    assert sum(sleeper.slept) == 2 and waited.reads == 5
