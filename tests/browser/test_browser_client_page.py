"""The console's browser client in headless Chromium: a page of another origin than the APIs, so the browser itself
enforces CORS (the preflight, the allowed origin, the exposed headers) and opens the WebSocket, as on a site of one's
own. The Python tests of the HTTP API (tests/local_stack/test_http_api.py) emulate a browser; this one is one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.browser.console_page import ConsolePage, expect
from tests.builders.serve_process import ServedStack, serving

COMPANIES = 9


def test_a_page_signs_in_starts_a_search_on_the_http_api_and_hears_every_company_over_the_websocket(
    console: ConsolePage,
) -> None:
    page = console.page
    page.get_by_role("link", name="Browser client").click()
    expect(page.get_by_role("heading", name="What a page of yours does")).to_be_visible()
    expect(page.get_by_label("Pick up")).not_to_have_value("")  # a week from the stack's today

    page.get_by_role("button", name="Search").click()
    page.locator("#search").dispatch_event("submit")  # a second press while it runs: one search at a time

    wire = page.locator("#wire li")
    expect(wire.filter(has_text="search.completed")).to_contain_text(f"{COMPANIES} of {COMPANIES} companies answered")
    expect(wire.filter(has_text="POST /search")).to_have_count(1)
    expect(page.locator("#companies li")).to_have_count(COMPANIES)  # each once, pushed or in the subscribe's answer
    expect(wire.filter(has_text="POST /search: 202")).to_contain_text("Denver")
    offers = page.locator("#offers li")
    expect(offers).to_have_count(3)  # read with GET /search after the end, cheapest first
    expect(offers.first).to_contain_text(" a day) at ")  # the daily rate and where to pick it up
    expect(offers.first).to_be_in_viewport()  # under the form, where one looks, not below the fold
    expect(page.locator("#error")).to_be_hidden()
    assert "Bearer" not in page.locator("main").inner_text()  # the tokens are used, never shown
    console.screenshot("browser-client")
    assert console.page_errors == [] and console.dialogs == []


def test_an_origin_the_browser_api_does_not_allow_is_refused_by_the_browser_with_a_clear_error(
    open_console: Callable[[ServedStack], ConsolePage], tmp_path: Path
) -> None:
    with serving(tmp_path, HTTP_API_ALLOWED_ORIGINS="https://cars.example") as stack:
        console = open_console(stack)
        page = console.page
        page.goto(stack.console_url + "browser-client")
        expect(page.get_by_label("Pick up")).not_to_have_value("")

        page.get_by_role("button", name="Search").click()

        expect(page.locator("#error[role=alert]")).to_contain_text("an origin the API does not allow")
        expect(page.get_by_role("button", name="Search")).to_be_enabled()  # another try is possible
        expect(page.locator("#wire li")).to_have_count(0)  # not even the sign-in: its answer was not the page's
