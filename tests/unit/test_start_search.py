"""StartSearch on the fakes: what the caller gets back, what it is refused, and what is left in the cache.
(The API's wording and status codes for the same cases are in tests/functional/test_start_*.py.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from search_service.adapters.stored import StoredJob, load
from search_service.domain.errors import CacheUnavailable, IdempotencyConflict, InvalidRequest, LaunchFailed
from search_service.domain.models import SearchJob, SearchQuery
from search_service.domain.start import Policy
from search_service.domain.tokens import is_well_formed, search_id
from tests.builders.in_memory import USER, InMemoryService, in_memory_service
from tests.fakes.cache import InMemoryResultCache
from tests.fakes.clock import FixedClock

TODAY = date(2026, 11, 23)  # the clock fixture's day, in every US city


def _jobs(cache: InMemoryResultCache) -> list[SearchJob]:
    return [load(StoredJob, text).domain() for name, text in cache.objects.items() if name.endswith("/job.json")]


def _problems(error: pytest.ExceptionInfo[InvalidRequest]) -> list[tuple[str, str]]:
    return [(problem.field, problem.code) for problem in error.value.problems]


# --- a search starts --------------------------------------------------------------------------------------


def test_start_returns_a_token_for_a_pending_search_stored_under_the_users_id(
    service: InMemoryService, clock: FixedClock
) -> None:
    started = service.start_search("Denver", date(2026, 12, 5), date(2026, 12, 8))

    assert is_well_formed(started.token) and not started.replayed
    assert started.job == SearchJob(
        search_id=search_id(started.token, USER),
        query=SearchQuery(
            city_id="denver-co", city="Denver, CO", pickup_date=date(2026, 12, 5), return_date=date(2026, 12, 8)
        ),
        suppliers=("enterprise", "national", "alamo", "hertz", "avis", "budget", "sixt", "dollar", "thrifty"),
        created_at=clock.now(),
    )
    assert started.expires_at == clock.now() + timedelta(minutes=30)
    assert service.cache.load_job(started.job.search_id) == started.job


def test_start_searches_only_the_companies_with_a_counter_in_the_city(service: InMemoryService) -> None:
    started = service.start_search("Wichita")
    assert started.job.suppliers == ("enterprise", "national", "alamo", "hertz", "avis", "budget")


def test_start_hands_the_search_over_to_run_once(service: InMemoryService) -> None:
    started = service.start_search()
    [report] = service.launcher.deliver()
    assert report.search_id == started.job.search_id
    assert report.completed == list(started.job.suppliers)


# --- validation ------------------------------------------------------------------------------------------


def test_start_names_every_problem_at_once_and_stores_nothing(service: InMemoryService) -> None:
    with pytest.raises(InvalidRequest) as refused:
        service.start_search("Chicgo", date(2026, 11, 20), date(2026, 11, 19), user="  ")

    assert _problems(refused) == [
        ("user", "required"),
        ("city", "unknown_city"),
        ("pickupDate", "past_date"),
        ("returnDate", "return_before_pickup"),
    ]
    assert service.cache.objects == {}
    assert service.launcher.deliver() == []


@pytest.mark.parametrize(
    ("pickup", "dropoff", "problem"),
    [
        (TODAY, TODAY + timedelta(days=1), None),
        (TODAY - timedelta(days=1), TODAY + timedelta(days=1), ("pickupDate", "past_date")),
        (TODAY + timedelta(days=330), TODAY + timedelta(days=331), None),
        (TODAY + timedelta(days=331), TODAY + timedelta(days=332), ("pickupDate", "too_far_ahead")),
        (date(2026, 12, 1), date(2026, 12, 31), None),
        (date(2026, 12, 1), date(2027, 1, 1), ("returnDate", "too_long")),
    ],
    ids=["today", "yesterday", "last-bookable-day", "a-day-too-far", "30-days", "31-days"],
)
def test_start_dates_at_the_edges_of_the_policy(
    service: InMemoryService, pickup: date, dropoff: date, problem: tuple[str, str] | None
) -> None:
    if problem is None:
        assert service.start_search("Denver", pickup, dropoff).job.query.days == (dropoff - pickup).days
        return
    with pytest.raises(InvalidRequest) as refused:
        service.start_search("Denver", pickup, dropoff)
    assert _problems(refused) == [problem]


def test_start_problems_say_the_dates_that_would_do(service: InMemoryService) -> None:
    with pytest.raises(InvalidRequest) as refused:
        service.start_search("Denver", TODAY + timedelta(days=331), TODAY + timedelta(days=400))
    [too_far, too_long] = refused.value.problems
    assert too_far.details == {"latest": "2027-10-19"}
    assert too_long.details == {"maxDays": 30}
    assert "Choose a return date by 2027-11-19." in too_long.message


def test_start_unknown_city_is_the_only_problem_when_its_dates_may_be_fine_somewhere() -> None:
    # GIVEN 00:30 on 24 November in New York, still 23 November in Honolulu, the latest "today" served
    service = in_memory_service(FixedClock(datetime(2026, 11, 24, 5, 30, tzinfo=UTC)))
    with pytest.raises(InvalidRequest) as refused:
        service.start_search("Atlantis", date(2026, 11, 23), date(2026, 11, 25))
    # THEN a pickup on the 23rd is not called past before the city is known
    assert _problems(refused) == [("city", "unknown_city")]


def test_start_policy_limits_come_from_the_settings(clock: FixedClock) -> None:
    service = in_memory_service(clock, policy=Policy(max_rental_days=3, max_days_ahead=7))
    with pytest.raises(InvalidRequest) as refused:
        service.start_search("Denver", TODAY + timedelta(days=8), TODAY + timedelta(days=12))
    assert _problems(refused) == [("pickupDate", "too_far_ahead"), ("returnDate", "too_long")]


# --- Idempotency-Key ------------------------------------------------------------------------------------


@pytest.mark.parametrize("later_s", [0, 300, 1800])
def test_same_key_within_the_maximum_age_replays_the_first_search(
    service: InMemoryService, clock: FixedClock, later_s: int
) -> None:
    first = service.start_search(key="turn-1")
    clock.advance(seconds=later_s)
    again = service.start_search(key="turn-1")

    assert again.replayed and not first.replayed
    assert (again.token, again.job, again.expires_at) == (first.token, first.job, first.expires_at)
    assert len(service.launcher.deliver()) == 1  # one search ran


def test_same_key_past_the_maximum_age_starts_a_new_search(service: InMemoryService, clock: FixedClock) -> None:
    first = service.start_search(key="turn-1")
    clock.advance(seconds=1801)
    later = service.start_search(key="turn-1")
    assert not later.replayed
    assert later.token != first.token and later.job.created_at == clock.now()


def test_same_key_from_another_user_is_their_own_search(service: InMemoryService) -> None:
    mine = service.start_search(key="turn-1")
    theirs = service.start_search(key="turn-1", user="amzn1.ask.account.OTHER")
    assert not theirs.replayed and theirs.token != mine.token


@pytest.mark.parametrize(
    ("city", "pickup", "dropoff"),
    [
        ("Boston", date(2026, 11, 28), date(2026, 11, 30)),
        ("New York", date(2026, 11, 27), date(2026, 11, 30)),
        ("New York", date(2026, 11, 28), date(2026, 12, 1)),
    ],
    ids=["city", "pickup", "return"],
)
def test_same_key_for_another_trip_is_a_conflict_and_the_first_search_stands(
    service: InMemoryService, city: str, pickup: date, dropoff: date
) -> None:
    first = service.start_search("New York", date(2026, 11, 28), date(2026, 11, 30), key="turn-1")
    with pytest.raises(IdempotencyConflict):
        service.start_search(city, pickup, dropoff, key="turn-1")
    assert service.start_search("New York", date(2026, 11, 28), date(2026, 11, 30), key="turn-1").token == first.token


def test_same_trip_spelled_another_way_is_the_same_request(service: InMemoryService) -> None:
    first = service.start_search("Portland, Maine", key="turn-1")
    assert service.start_search("portland me", key="turn-1").token == first.token


class _DiesWhileLaunching:
    """The start Lambda killed at its timeout inside the async invoke: neither launched nor failed, the key claimed."""

    def launch(self, search_id: str) -> None:
        raise TimeoutError("Task timed out after 10.00 seconds")


def test_a_replay_launches_the_search_a_start_that_died_before_its_launch_left_behind(
    service: InMemoryService,
) -> None:
    launcher, service.start._launcher = service.start._launcher, _DiesWhileLaunching()  # type: ignore[assignment]
    with pytest.raises(TimeoutError):
        service.start_search(key="turn-1")
    service.start._launcher = launcher
    [job] = _jobs(service.cache)

    again = service.start_search(key="turn-1")

    assert again.replayed and again.job.search_id == job.search_id
    [report] = service.launcher.deliver()
    assert report.search_id == job.search_id and report.completed == list(job.suppliers)
    assert service.read(again).status == "complete"
    service.start_search(key="turn-1")  # recorded as launched now: a third request launches nothing
    assert service.launcher.deliver() == []


def test_a_replay_whose_launch_fails_is_refused_and_the_next_one_launches(service: InMemoryService) -> None:
    launcher, service.start._launcher = service.start._launcher, _DiesWhileLaunching()  # type: ignore[assignment]
    with pytest.raises(TimeoutError):
        service.start_search(key="turn-1")
    service.start._launcher = launcher
    service.launcher.broken = True
    with pytest.raises(LaunchFailed):
        service.start_search(key="turn-1")
    service.launcher.broken = False

    again = service.start_search(key="turn-1")

    assert again.replayed and [r.search_id for r in service.launcher.deliver()] == [again.job.search_id]


def test_the_cache_never_holds_a_token_that_can_be_used(service: InMemoryService) -> None:
    started = service.start_search(key="turn-1")
    assert not any(started.token in text for text in service.cache.objects.values())
    assert service.start_search(key="turn-1").token == started.token  # yet the replay gets it back


# --- what it depends on fails ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "turn-1"])
def test_launch_failure_is_raised_and_the_search_left_behind_is_failed(
    service: InMemoryService, key: str | None
) -> None:
    service.launcher.broken = True
    with pytest.raises(LaunchFailed):
        service.start_search(key=key)

    [job] = _jobs(service.cache)
    assert (job.status, job.failure) == ("failed", "The search could not be started.")
    assert service.launcher.deliver() == []


class _RefusesToMarkFailed(InMemoryResultCache):
    """A store that fails the one write marking a search failed, as a transient S3 error would."""

    def mark_failed(self, search_id: str, reason: str) -> SearchJob | None:
        raise CacheUnavailable("S3 answered InternalError")


@pytest.mark.parametrize(
    ("cache", "raised"),
    [(InMemoryResultCache, LaunchFailed), (_RefusesToMarkFailed, CacheUnavailable)],
    ids=["marked-failed", "could-not-be-marked-failed"],
)
def test_retry_after_a_launch_failure_with_the_same_key_starts_afresh(
    clock: FixedClock, cache: type[InMemoryResultCache], raised: type[Exception]
) -> None:
    service = in_memory_service(clock, cache=cache())
    service.launcher.broken = True
    with pytest.raises(raised):
        service.start_search(key="turn-1")
    service.launcher.broken = False

    # WHEN the client retries with the same key (the skill does, for the same trip in the same session)
    retried = service.start_search(key="turn-1")

    # THEN it is a new search that runs, not the one never launched replayed for the key's 30 minutes
    assert not retried.replayed
    assert [report.search_id for report in service.launcher.deliver()] == [retried.job.search_id]


def test_start_with_the_cache_down_raises_and_launches_nothing(service: InMemoryService) -> None:
    service.cache.down = True
    with pytest.raises(CacheUnavailable):
        service.start_search(key="turn-1")
    assert service.launcher.deliver() == []
