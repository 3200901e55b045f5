"""What every `Clock` promises, run against the tests' FixedClock and the Lambdas' SystemClock: aware UTC times
that never go backwards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from search_service.adapters.clock import SystemClock
from search_service.domain.ports import Clock


@pytest.fixture(params=["fixed", "system"])
def any_clock(request: pytest.FixtureRequest) -> Clock:
    return request.getfixturevalue("clock") if request.param == "fixed" else SystemClock()


def test_now_is_timezone_aware_utc(any_clock: Clock) -> None:
    now = any_clock.now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_now_never_goes_backwards(any_clock: Clock) -> None:
    earlier = any_clock.now()
    assert any_clock.now() >= earlier
