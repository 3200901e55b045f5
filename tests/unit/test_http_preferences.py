"""How GET /search reads RFC 7240's Prefer and RFC 9110's If-None-Match."""

from __future__ import annotations

import pytest

from search_service.api.search_routes import etag_matches, wait_preference


@pytest.mark.parametrize(
    ("prefer", "seconds"),
    [
        ("wait=10", 10),
        ("WAIT = 7", 7),
        ('wait="5"', 5),
        ("respond-async, wait=12", 12),
        ("wait=3; foo=bar", 3),
        ("wait=4, wait=9", 4),  # the first one counts (RFC 7240 section 2)
        ("return=minimal", 0),
        ("wait=soon", 0),
        ("wait=-1", 0),
        ("waiting=5", 0),
        ("", 0),
    ],
)
def test_the_wait_preference(prefer: str, seconds: int) -> None:
    assert wait_preference(prefer) == seconds


@pytest.mark.parametrize(
    ("if_none_match", "matches"),
    [
        ('W/"abc"', True),
        ('"abc"', True),  # weak comparison: the W/ does not count
        ('"x", W/"abc"', True),
        ("*", True),
        ('W/"abd"', False),
        ("abc", False),  # not a quoted tag
    ],
)
def test_if_none_match_compares_weakly(if_none_match: str, matches: bool) -> None:
    assert etag_matches(if_none_match, 'W/"abc"') is matches
