"""Search tokens: random, URL-safe, and bound to the user who started the search."""

from __future__ import annotations

import re

import pytest

from search_service.domain.tokens import (
    TOKEN_LENGTH,
    idempotency_id,
    is_well_formed,
    new_token,
    seal,
    search_id,
    unseal,
)

URL_SAFE_32 = re.compile(r"[A-Za-z0-9_-]{32}")
TOKEN = "AbCdEfGhIjKlMnOpQrStUvWxYz012-_9"
USER = "amzn1.ask.account.ALICE"


def test_new_token_returns_32_url_safe_characters() -> None:
    token = new_token()

    assert len(token) == TOKEN_LENGTH == 32
    assert URL_SAFE_32.fullmatch(token)
    assert is_well_formed(token)


def test_new_token_many_calls_return_distinct_tokens() -> None:
    tokens = [new_token() for _ in range(2000)]

    assert len(set(tokens)) == len(tokens)


@pytest.mark.parametrize(
    ("token", "well_formed"),
    [
        (TOKEN, True),
        ("A" * 32, True),
        ("-" * 32, True),
        ("A" * 31, False),
        ("A" * 33, False),
        ("", False),
        ("A" * 31 + "+", False),  # standard base64, not URL-safe
        ("A" * 31 + "/", False),
        ("A" * 31 + "=", False),  # padding
        ("A" * 31 + " ", False),
        (" " + "A" * 31, False),
        ("A" * 31 + "é", False),
    ],
)
def test_is_well_formed_token_text_returns_whether_it_could_be_a_token(token: str, well_formed: bool) -> None:
    assert is_well_formed(token) is well_formed


def test_is_well_formed_token_with_trailing_newline_returns_false() -> None:
    assert is_well_formed(TOKEN + "\n") is False


def test_search_id_same_token_and_user_returns_same_id() -> None:
    assert search_id(TOKEN, USER) == search_id(TOKEN, USER)


def test_search_id_returns_sha256_hex_that_does_not_contain_the_token() -> None:
    value = search_id(TOKEN, USER)

    assert re.fullmatch(r"[0-9a-f]{64}", value)
    assert TOKEN not in value


def test_search_id_other_user_returns_different_id() -> None:
    # GIVEN Bob holds Alice's token
    # THEN it names a different search than Alice's
    assert search_id(TOKEN, "amzn1.ask.account.BOB") != search_id(TOKEN, USER)


def test_search_id_other_token_returns_different_id() -> None:
    assert search_id(new_token(), USER) != search_id(TOKEN, USER)


def test_idempotency_id_same_key_and_user_returns_same_id() -> None:
    assert idempotency_id("key-1", USER) == idempotency_id("key-1", USER)


def test_idempotency_id_other_user_or_key_returns_different_id() -> None:
    ids = {
        idempotency_id("key-1", USER),
        idempotency_id("key-1", "amzn1.ask.account.BOB"),
        idempotency_id("key-2", USER),
    }

    assert len(ids) == 3


def test_idempotency_id_same_text_as_token_returns_id_different_from_search_id() -> None:
    assert idempotency_id(TOKEN, USER) != search_id(TOKEN, USER)


def test_idempotency_id_cannot_be_forged_by_moving_the_separator_between_user_and_key() -> None:
    assert idempotency_id("k", "victim|x") != idempotency_id("x|k", "victim")


def test_a_sealed_token_is_read_back_only_with_the_same_key_and_user() -> None:
    token = new_token()
    sealed = seal(token, "turn-1", "amzn1.ask.account.ME")
    assert token not in sealed and unseal(sealed, "turn-1", "amzn1.ask.account.ME") == token
    assert unseal(sealed, "turn-2", "amzn1.ask.account.ME") != token
    assert unseal(sealed, "turn-1", "amzn1.ask.account.OTHER") != token


def test_the_same_token_sealed_twice_differs() -> None:
    token = new_token()
    assert seal(token, "k", "u") != seal(token, "k", "u")
