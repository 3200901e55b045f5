"""The workshop console in a real headless Chromium, driven as a participant drives it: Playwright on the system's
browser (Debian's `chromium`), nothing downloaded. Everything here waits for what the page shows (locators and
`expect`, bounded by PATIENCE_MS), never for a fixed time.

The page's CSP (no `unsafe-eval`) blocks `page.wait_for_function("...")`, which evaluates a string: wait with
locators. The CSP is not weakened for the tests (no `bypass_csp`): they test the page as shipped.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.builders.serve_process import ROOT, ServedStack
from tests.builders.waiting import PATIENCE_S

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Locator, Page

try:
    from playwright.sync_api import expect
except ImportError:  # no browser extra: every browser test skips (see missing()), none reaches `expect`
    expect = None  # type: ignore[assignment]

ARTIFACTS = ROOT / "artifacts" / "console"  # git-ignored; CI keeps them
VIEWPORT = {"width": 1280, "height": 800}  # a laptop screen; docs/console.png is one of these
# What a locator expectation waits at most: room for a busy two-CPU machine; a test that passes never waits it.
PATIENCE_MS = int(PATIENCE_S * 1000 / 2)
HOW_TO_RUN = (
    "to run them: apt-get install chromium && make test-browser (installs the extra: pip install -e '.[browser]')"
)


def chromium() -> str | None:
    """The system's Chromium: $CHROMIUM if set, else `chromium` or `chromium-browser` on the PATH."""
    configured = os.environ.get("CHROMIUM", "").strip()
    if configured:
        return configured if os.access(configured, os.X_OK) and Path(configured).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str | None:
    """What the browser tests lack here (Playwright, Chromium); None when they can run."""
    problems = []
    if expect is None:
        problems.append("Playwright is not installed (the `browser` extra)")
    if chromium() is None:
        configured = os.environ.get("CHROMIUM", "").strip()
        problems.append(f"CHROMIUM={configured} is not an executable file" if configured else "no chromium on PATH")
    return " and ".join(problems) or None


def screenshot(page: Page, name: str) -> Path:
    """The page as it is now, 1280x800, to artifacts/console/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


class ConsolePage:
    """One browser tab on the console of a served stack: what a participant sees and does.

    `.page` (Playwright's Page), `.stack` (the ServedStack: `.process`, `.console_url`, `.stop()`), `.console_url`;
    `.say(text)` types in the box, presses Enter and waits for that turn; `.submit(text)` does not wait (for errors);
    `.input`, `.turns` (newest first), `.lines` (the dialog), `.error` (the role=alert box); `.page_errors` and
    `.dialogs` collect uncaught script errors and alert()/confirm() calls; `.screenshot(name)`.
    """

    def __init__(self, page: Page, stack: ServedStack) -> None:
        self.page = page
        self.stack = stack
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("dialog", self._dialog)

    @property
    def console_url(self) -> str:
        return self.stack.console_url

    def open(self) -> ConsolePage:
        self.page.goto(self.console_url)
        expect(self.page.locator("#status")).to_contain_text("Connected")
        return self

    @property
    def input(self) -> Locator:
        return self.page.get_by_label("You say")

    @property
    def turns(self) -> Locator:
        return self.page.locator("article.turn")

    @property
    def lines(self) -> Locator:
        return self.page.locator("#dialog li")

    @property
    def error(self) -> Locator:
        return self.page.locator("#error[role=alert]")

    def turn(self, number: int) -> Locator:
        """The turn shown as "number. ..." (counted from 1 since the page was opened)."""
        return self.page.get_by_role("article", name=f"turn {number}", exact=True)

    def said(self, kind: str) -> Locator:
        """The dialog's lines of one kind: user, alexa, progressive, problem or note."""
        return self.page.locator(f"#dialog li.{kind}")

    def submit(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def say(self, text: str) -> Locator:
        """Types `text` in the box and presses Enter, as a participant does; the turn's view once it is shown."""
        shown = self.turns.count()
        self.submit(text)
        try:
            expect(self.turns).to_have_count(shown + 1)
        except AssertionError as failure:
            problem = self.error.text_content() if self.error.is_visible() else "(empty)"
            raise AssertionError(f"the page showed no turn for {text!r}; its error box: {problem}") from failure
        return self.turn(shown + 1)

    def open_by_mouse(self, details: Locator) -> None:
        """Clicks a `<details>`' summary until it is open: the live timeline above the turns grows as companies
        answer, and a click at the point where the summary was a moment earlier can land beside it (CI saw a click
        lost so), as a person's would; they click again too."""

        deadline = time.monotonic() + PATIENCE_S
        while True:
            if details.get_attribute("open") is None:
                details.locator("summary").click()
            try:
                expect(details).to_have_attribute("open", "", timeout=2_000)
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

    def screenshot(self, name: str) -> Path:
        return screenshot(self.page, name)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()
