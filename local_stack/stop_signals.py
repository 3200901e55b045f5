"""Ctrl-C and SIGTERM stop the local stack whichever of its threads the kernel hands the signal to.

A signal sent to a process goes to any one of its threads. CPython runs the Python handler in the main thread only,
when that thread next runs bytecode; if a server's thread took the signal, the main thread stays in its
`time.sleep` or `input()` (CI once saw `make serve` ignore SIGTERM for a minute). The C-level handler writes the
signal's number to the wakeup fd from whichever thread took it; a watcher thread reads it and sends WAKE to the main
thread alone (`pthread_kill`), which interrupts its wait so that it runs the handler. WAKE is not SIGINT or SIGTERM
themselves: those would come back through the wakeup fd and be sent again."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from types import FrameType

STOPS = (signal.SIGINT, signal.SIGTERM)
WAKE = signal.SIGUSR1

Handler = Callable[[int, FrameType | None], object]


def stop_on(handler: Handler) -> None:
    """`handler` for SIGINT and SIGTERM, run by the main thread as soon as either reaches any thread. Main thread only
    (as signal.signal), once per process."""
    for number in STOPS:
        signal.signal(number, handler)
    signal.signal(WAKE, _woken)
    read, write = os.pipe()  # not inherited by the stack's child processes (os.pipe's fds are non-inheritable)
    os.set_blocking(write, False)  # the C handler must never block on it
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    main = threading.main_thread().ident
    assert main is not None
    threading.Thread(target=_forward, args=(read, main), name="stop-signals", daemon=True).start()


def ignore_stops() -> None:
    """SIGINT and SIGTERM ignored from now on (the stop has begun: a second one must not break it off), and WAKE held
    back from the main thread, which is awake: one that came during the interpreter's shutdown, its handler reset to
    the default, would end the process. Blocked rather than ignored: a WAKE already caught but not yet handled would
    find its handler gone and print "Signal 10 ignored due to race condition" (a newcomer saw it on Ctrl-C).
    Main thread only."""
    for number in STOPS:
        signal.signal(number, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {WAKE})


def _forward(read: int, main: int) -> None:
    while received := os.read(read, 64):
        if any(number in STOPS for number in received):
            with suppress(OSError):  # the main thread has ended: the process is going away anyway
                signal.pthread_kill(main, WAKE)


def _woken(signum: int, frame: FrameType | None) -> None:
    """Nothing to do: being interrupted is the point; the stop's own handler runs beside this one."""
