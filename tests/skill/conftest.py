"""The `talk` fixture: a person talking to the skill, which talks to both search Lambdas over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.builders.http_api import serve
from tests.builders.stack import Stack
from tests.builders.talk import Talk, skill


@pytest.fixture
def talk(stack: Stack) -> Iterator[Talk]:
    with serve(stack) as url:
        yield Talk(skill(url))
