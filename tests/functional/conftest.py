from __future__ import annotations

from typing import Any

import pytest

from tests.builders.stack import Stack, build_stack
from tests.fakes.clock import FixedClock


@pytest.fixture
def stack(s3: Any, clock: FixedClock) -> Stack:
    return build_stack(s3, clock)
