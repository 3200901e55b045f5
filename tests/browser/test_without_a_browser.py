"""Where Chromium or Playwright is missing, the browser tests skip and the run says so, with how to run them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders.serve_process import ROOT
from tests.builders.waiting import PATIENCE_S


@pytest.mark.parametrize("lacking", ["chromium", "playwright"])
def test_without_chromium_or_playwright_the_run_ends_saying_the_browser_tests_were_skipped_and_how_to_run_them(
    lacking: str, tmp_path: Path
) -> None:
    env = dict(os.environ)
    if lacking == "chromium":
        env["CHROMIUM"] = str(ROOT / "no-such-chromium")
        why = r"CHROMIUM=\S+no-such-chromium is not an executable file"
    else:  # a package `playwright` that cannot be imported, ahead of the installed one, as if the extra were not there
        (tmp_path / "playwright").mkdir()
        (tmp_path / "playwright" / "__init__.py").write_text('raise ImportError("no playwright")\n')
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
        why = r"Playwright is not installed \(the `browser` extra\)"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/browser/test_console_page.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=PATIENCE_S * 2,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr  # skipped is not failed: CI stays green
    *_, summary, closing = run.stdout.rstrip("\n").splitlines()
    assert re.fullmatch(r"\d+ skipped in .*", closing), run.stdout  # pytest's own count stays the last line
    skipped = re.fullmatch(r"browser tests: (\d+) skipped, (.*?); (to run them: .*)", summary)
    assert skipped and int(skipped[1]) > 0 and re.search(why, skipped[2]), run.stdout
    assert "apt-get install chromium" in skipped[3] and "make test-browser" in skipped[3]
    assert "pip install -e '.[browser]'" in skipped[3]
