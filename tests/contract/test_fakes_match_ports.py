"""Every fake in tests/fakes has each method of the port it stands in for, with the same parameters: a port that
gains or changes a method fails here, not in a unit test that trusted a stale fake. (mypy checks the types too:
each fake module assigns an instance to its port under TYPE_CHECKING.)"""

from __future__ import annotations

import inspect

import pytest
from skill.trip_store import ObjectStore

from search_service.domain.ports import Clock, ResultCache, SearchLauncher, SupplierProvider
from tests.fakes.cache import InMemoryResultCache
from tests.fakes.clock import FixedClock
from tests.fakes.launcher import InMemoryLauncher
from tests.fakes.objects import InMemoryObjects
from tests.fakes.suppliers import (
    BrokenSupplier,
    DroppingLauncher,
    FailingLauncher,
    GatedSupplier,
    MeetingSupplier,
    OnlyClassesSupplier,
    StuckSupplier,
)

FAKES = [
    (ResultCache, InMemoryResultCache),
    (SearchLauncher, InMemoryLauncher),
    (SearchLauncher, DroppingLauncher),
    (SearchLauncher, FailingLauncher),
    (Clock, FixedClock),
    (ObjectStore, InMemoryObjects),
    *(
        (SupplierProvider, fake)
        for fake in (GatedSupplier, BrokenSupplier, OnlyClassesSupplier, MeetingSupplier, StuckSupplier)
    ),
]


def _methods(cls: type) -> dict[str, list[tuple[str, object, object]]]:
    return {
        name: [(p.name, p.kind, p.default) for p in inspect.signature(member).parameters.values()]
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


@pytest.mark.parametrize(("port", "fake"), FAKES, ids=[fake.__name__ for _, fake in FAKES])
def test_fake_has_every_method_of_its_port_with_the_same_parameters(port: type, fake: type) -> None:
    wanted = _methods(port)
    assert wanted, f"{port.__name__} has no methods to compare"
    assert {name: _methods(fake).get(name) for name in wanted} == wanted
