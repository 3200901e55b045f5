"""Ctrl-C and SIGTERM stop the local stack even when the kernel hands the signal to one of its server threads (CI saw
`make serve` sleep through a SIGTERM): the race made certain by sending the signal to a thread that is not the main
one, while the main thread waits as make serve and make chat do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.builders.serve_process import ROOT
from tests.builders.waiting import PATIENCE_S, wait_until

WAITING = {
    "serve": "time.sleep(3600)",
    "chat": "input()",
}


def _process(wait: str, number: int) -> str:
    script = textwrap.dedent(f"""
        import signal, sys, threading, time
        from local_stack.stop_signals import stop_on

        def stop(signum, frame):
            raise KeyboardInterrupt

        def elsewhere():  # once the main thread is in its wait: the signal to this thread, not the main one
            while sys._current_frames()[threading.main_thread().ident].f_lineno != WAITING_LINE:
                time.sleep(0.01)
            signal.pthread_kill(threading.get_ident(), {number})

        try:
            stop_on(stop)
            threading.Thread(target=elsewhere).start()
            {wait}  # the wait
            print("woke without the signal")
        except KeyboardInterrupt:
            print("stopped")
    """)
    line = next(number for number, text in enumerate(script.splitlines(), 1) if text.endswith("# the wait"))
    return script.replace("WAITING_LINE", str(line))


@pytest.mark.parametrize("wait", sorted(WAITING))
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_taken_by_another_thread_interrupts_the_main_threads_wait(wait: str, number: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _process(WAITING[wait], number)],
        cwd=ROOT,
        stdin=subprocess.PIPE,  # kept open: the chat's read only ends by the signal
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.wait(timeout=PATIENCE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"the main thread slept through a {signal.Signals(number).name} taken by another thread")
    finally:
        process.stdin.close()
    assert process.stdout.read().strip() == "stopped"
    assert process.returncode == 0


def _catches(pid: int, number: int) -> bool:
    """Whether the process has a handler for the signal (/proc/PID/status SigCgt): make serve's, installed first."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) >> (number - 1) & 1)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc to know when the handler is in")
def test_make_serve_stopped_while_it_starts_exits_quietly(tmp_path: Path) -> None:
    # SIGTERM: the interpreter catches SIGINT itself from its first moment, so SigCgt could not tell make serve's.
    number = signal.SIGTERM
    # GIVEN make serve starting (its first step installs the stop's handler; the stack takes seconds more)
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack", "serve", "--log", str(tmp_path / "log")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_until(lambda: _catches(process.pid, number), PATIENCE_S)
        # WHEN it is stopped at once, most likely before it is up
        process.send_signal(number)
        out, _ = process.communicate(timeout=PATIENCE_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # THEN it stops like a stop after it was up: exit 0, no traceback
    assert process.returncode == 0, out
    assert "Traceback" not in out and "race condition" not in out, out
