"""Ctrl-C and SIGTERM stop the local stack even when the kernel hands the signal to one of its server threads (CI saw
`make serve` sleep through a SIGTERM): the race made certain by sending the signal to a thread that is not the main
one, while the main thread waits as make serve and make chat do."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from tests.builders.serve_process import ROOT
from tests.builders.waiting import PATIENCE_S

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
