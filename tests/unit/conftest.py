from __future__ import annotations

import pytest

from tests.builders.in_memory import InMemoryService, in_memory_service
from tests.fakes.clock import FixedClock


@pytest.fixture
def service(clock: FixedClock) -> InMemoryService:
    """StartSearch, RunSearch and GetResults on the fakes, suppliers answering at once, the deployed policy."""
    return in_memory_service(clock)
