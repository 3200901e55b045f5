"""The token and the user are bearer values: GET takes them as headers, so that they stay out of URLs (API Gateway's
X-Ray traces, access logs, Location headers, proxies' logs); the design's query form still works."""

from __future__ import annotations

from search_service.domain.tokens import new_token
from tests.builders.stack import Stack


def test_get_with_the_token_and_user_in_headers_reads_the_same_results_as_the_query_form(stack: Stack) -> None:
    token = stack.start_search("Denver", "2026-11-28", "2026-11-30").body["token"]
    stack.settle()

    in_headers = stack.get_with_headers(token, CarSize="compact", Limit=3)
    in_query = stack.get(token, CarSize="compact", Limit=3)

    assert in_headers.status == in_query.status == 200
    assert in_headers.body == in_query.body and in_headers.body["status"] == "complete"


def test_the_202_says_where_to_poll_without_the_token_or_the_user(stack: Stack) -> None:
    started = stack.start_search()
    assert started.status == 202
    for where in (started.headers["location"], started.body["poll"]):
        assert where == "/beta/search"
        assert started.body["token"] not in where and stack.user not in where


def test_get_without_a_token_in_either_form_is_a_400_that_names_the_header(stack: Stack) -> None:
    answer = stack.get_with_headers(None)
    assert answer.status == 400
    assert [(e["field"], e["code"]) for e in answer.body["errors"]] == [("token", "required")]
    assert "Search-Token" in answer.body["errors"][0]["message"]


def test_a_token_in_the_header_and_another_in_the_query_is_a_400(stack: Stack) -> None:
    token = stack.start_search().body["token"]
    answer = stack.get_with_headers(token, query={"token": new_token()})
    assert answer.status == 400 and answer.body["errors"][0]["code"] == "conflicting"


def test_another_users_header_names_no_search(stack: Stack) -> None:
    token = stack.start_search().body["token"]
    assert stack.get_with_headers(token, user="amzn1.ask.account.SOMEONE-ELSE").status == 404


def test_a_malformed_token_header_is_a_400(stack: Stack) -> None:
    answer = stack.get_with_headers("not-a-token")
    assert answer.status == 400 and answer.body["errors"][0]["field"] == "Search-Token"
