"""Fixtures of the console's browser tests (marker `browser`): a headless Chromium, `make serve` in a process, and a
tab on its console. Without Chromium or Playwright every browser test skips, and the run's summary says so in one
line with how to run them (`make test-browser`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.console_page import HOW_TO_RUN, PATIENCE_MS, VIEWPORT, ConsolePage, chromium, expect, missing
from tests.builders.serve_process import ServedStack, serving

SKIPPED = pytest.StashKey[str]()
# Chromium resolves no name but the loopback's: no test reaches the network, whatever the browser would fetch itself.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the run: the system's (CHROMIUM, else chromium on the PATH), never a download."""
    reason = missing()
    if reason:  # only when collection did not skip the test already (see pytest_collection_modifyitems)
        pytest.skip(f"{reason}; {HOW_TO_RUN}")
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as playwright:
        # --no-sandbox: Chromium refuses its sandbox as root, which the tests (and CI's containers) run as.
        launched = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox", OFFLINE])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def served(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStack]:
    """`make serve` for a module's tests (each in a tab, so a conversation, of its own), suppliers at scale 0.2."""
    with serving(tmp_path_factory.mktemp("serve")) as stack:
        yield stack


@pytest.fixture
def open_console(browser: Any) -> Iterator[Callable[[ServedStack], ConsolePage]]:
    """Opens a new tab (a browser context of its own: no shared storage) on a stack's console, 1280x800, once it
    says Connected. Every tab opened is closed after the test."""
    contexts: list[Any] = []

    def open_on(stack: ServedStack) -> ConsolePage:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        context.set_default_timeout(PATIENCE_MS)
        return ConsolePage(context.new_page(), stack).open()

    try:
        yield open_on
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def console(open_console: Callable[[ServedStack], ConsolePage], served: ServedStack) -> ConsolePage:
    """A tab on the module's served stack: `.page`, `.stack`, `.console_url`, `.say(text)` (see ConsolePage)."""
    return open_console(served)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks the tests that use the browser `browser`; skips them at once where they cannot run (a skip marker, so
    the summary folds them into one line per file)."""
    here = Path(__file__).parent
    ours = [item for item in items if here in item.path.parents and "browser" in item.fixturenames]
    reason = missing() if ours else None
    if reason:
        config.stash[SKIPPED] = reason
    for item in ours:
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"{reason} (how to run them: the run's last lines)"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> Iterator[None]:
    """After the short summary, just above pytest's closing count: one line saying the browser tests did not run,
    why, and how to run them."""
    yield
    reason = config.stash.get(SKIPPED, None)
    if reason is not None:
        skipped = sum(1 for report in terminalreporter.stats.get("skipped", []) if "tests/browser/" in report.nodeid)
        line = f"browser tests: {skipped} skipped, {reason}; {HOW_TO_RUN}"
        terminalreporter.write_line(line, yellow=True, bold=True)
