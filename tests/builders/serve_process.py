"""`make serve` as a test starts it: `python -m local_stack serve` in a process of its own, on free ports, on the
tests' day, read from its output as a participant reads it (the `ready:` and `console:` lines), always stopped."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from local_stack.clock import TODAY_VARIABLE
from tests.builders.today import MONDAY
from tests.builders.waiting import PATIENCE_S

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"ready: skill (?P<skill>\S+) api (?P<api>\S+)")
CONSOLE = re.compile(r"console: (?P<url>http://127\.0\.0\.1:\d+/) \(open it in a browser\)")


@dataclass
class ServedStack:
    """One `python -m local_stack serve`: its process, the URLs it printed, and everything it printed so far."""

    process: subprocess.Popen[str]
    skill_url: str
    api_url: str
    console_url: str
    log: Path
    output: list[str] = field(default_factory=list)
    _lines: queue.Queue[str | None] = field(default_factory=queue.Queue, repr=False)

    @property
    def console_port(self) -> int:
        return int(self.console_url.rstrip("/").rsplit(":", 1)[1])

    def stop(self) -> int:
        """As Ctrl-C or make stops it (SIGTERM); its exit code. See _stop for one that does not stop."""
        return _stop(self.process, self._lines)


@contextmanager
def serving(log_dir: Path, latency_scale: float = 0.2, **env: str) -> Iterator[ServedStack]:
    """`make serve` with SKILL_PORT=0 API_PORT=0 (so the console takes a free port too), suppliers answering at
    `latency_scale` (> 0: each company at its own time), on the tests' Monday. `env` adds or overrides variables,
    e.g. CONSOLE_PORT to come back on the port of a stack stopped before. Stopped (and killed if need be) at the end."""
    settings = {"SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": str(latency_scale)}
    settings[TODAY_VARIABLE] = MONDAY.isoformat()
    settings["PYTHONFAULTHANDLER"] = "1"  # so that one that will not stop can be made to say where it is stuck
    environment = {k: v for k, v in os.environ.items() if k != "CONSOLE_PORT"} | settings | env
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "local_stack.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack", "serve", "--log", str(log)],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines = _lines(process)
        output: list[str] = []
        ready = console = None
        while console is None:
            try:
                line = lines.get(timeout=PATIENCE_S)
            except queue.Empty:
                raise AssertionError(f"make serve printed no console URL within {PATIENCE_S} s: {output}") from None
            if line is None:
                raise AssertionError(f"make serve ended before its console was up: {output}")
            output.append(line)
            ready = ready or READY.match(line)
            console = CONSOLE.match(line)
            assert not line.startswith(("console: not started", "cannot start")), output
        assert ready is not None, output
        yield ServedStack(process, ready["skill"], ready["api"], console["url"], log, output, lines)
    finally:
        _stop(process, lines)


def _stop(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> int:
    """SIGTERM, as Ctrl-C or make stops it; its exit code. One still running after the patience is made to print
    every thread's stack (SIGABRT: faulthandler) and killed, and the test fails with those stacks."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=PATIENCE_S)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=PATIENCE_S)
        stacks = []
        with suppress(queue.Empty):  # its children may hold the pipe open: what came within a few seconds
            while (line := lines.get(timeout=5)) is not None:
                stacks.append(line)
        raise AssertionError(
            f"make serve did not stop within {PATIENCE_S} s of SIGTERM; where it was:\n" + "\n".join(stacks[-200:])
        ) from None
    finally:
        process.kill()  # a no-op when it stopped; what must never happen is a stack left running


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """Its output line by line, read by a thread (so a wait for a line has a cap, and the pipe never fills); None at
    the end."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, name="serve-output", daemon=True).start()
    return lines
