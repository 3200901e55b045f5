from __future__ import annotations

from collections.abc import Iterator

import pytest

from search_service.domain.ports import ResultCache
from tests.builders.stores import Store, in_memory_store, s3_store


@pytest.fixture(params=["in_memory", "s3"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    built = in_memory_store() if request.param == "in_memory" else s3_store(request.getfixturevalue("s3"))
    yield built
    built.close()


@pytest.fixture
def cache(store: Store) -> ResultCache:
    return store.cache
