"""The stream the Lambdas' log lines and metrics go to in the local stack, one whole line at a time."""

from __future__ import annotations

import io
import os
import sys
import threading
from typing import Any, TextIO, cast


class WholeLines(io.TextIOBase):
    """Writes each line to `stream` in one piece. print() writes its text and its newline in two calls, and in the
    local stack many Lambda instances write to one stream at once: a line written by another thread between the two
    joined two JSON lines (a metric and a log record) into one that no log reader could parse. A thread's text is
    held until its newline."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending = threading.local()

    def write(self, text: str) -> int:
        held: str = getattr(self._pending, "text", "") + text
        lines, newline, rest = held.rpartition("\n")
        if newline:
            self._stream.write(lines + newline)
        self._pending.text = rest
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def writable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:  # name, isatty, fileno, encoding: the stream's
        return getattr(self._stream, name)


def whole_lines(stream: TextIO) -> TextIO:
    """`stream`, each line written whole, where a TextIO is expected (sys.stdout): WholeLines writes and flushes and
    hands everything else to the stream, which is all that print() and logging ask of one."""
    return cast(TextIO, WholeLines(stream))


def logs_to(path: str | None) -> TextIO:
    """Makes this process's stdout the log file at `path` (stderr when None), at the descriptor, so that whatever
    took sys.stdout before, however early (Powertools' Logger takes it when an import creates it), writes to the log;
    sys.stdout becomes that file, lines whole, so that this process's children that follow it find its name. Returns
    the stdout the process had, on a descriptor of its own: the channel of a protocol with the parent, which no log
    line can break."""
    sys.stdout.flush()
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    log = open(path, "a", buffering=1, encoding="utf-8") if path else sys.stderr  # noqa: SIM115 - the process's life
    os.dup2(log.fileno(), sys.stdout.fileno())
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # a pipe's block buffering would hold lines an exit drops
    sys.stdout = whole_lines(log)
    return protocol
