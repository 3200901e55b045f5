"""Where Chromium or Playwright is missing, the browser tests skip and the run says so, with how to run them."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.builders.serve_process import ROOT
from tests.builders.waiting import PATIENCE_S


def test_without_chromium_the_run_ends_saying_the_browser_tests_were_skipped_and_how_to_run_them() -> None:
    env = {**os.environ, "CHROMIUM": str(ROOT / "no-such-chromium")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/browser/test_console_page.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=PATIENCE_S * 2,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr  # skipped is not failed: CI stays green
    *_, summary, closing = run.stdout.rstrip("\n").splitlines()
    assert re.fullmatch(r"\d+ skipped in .*", closing), run.stdout  # pytest's own count stays the last line
    skipped = re.fullmatch(
        r"browser tests: (\d+) skipped, CHROMIUM=\S+no-such-chromium is not an executable file; (.*)", summary
    )
    assert skipped and int(skipped[1]) > 0, run.stdout
    assert "apt-get install chromium" in skipped[2] and "make test-browser" in skipped[2]
    assert "pip install -e '.[browser]'" in skipped[2]
