"""The local stack's log stream: many Lambda instances print to it at once, and every line stays whole."""

from __future__ import annotations

import io
import json
import threading
import time

from local_stack.log_stream import whole_lines
from tests.builders.waiting import PATIENCE_S


class Recorded(io.StringIO):
    """A stream that keeps each write it gets, and lets other threads run in the middle of one, as a file does."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        time.sleep(0)
        return super().write(text)


def test_lines_printed_by_threads_at_once_reach_the_stream_whole() -> None:
    written = Recorded()
    stream = whole_lines(written)
    start = threading.Barrier(8)

    def emit(number: int) -> None:
        start.wait(PATIENCE_S)
        for line in range(100):
            print(json.dumps({"thread": number, "line": line}), file=stream)  # the text, then "\n": two writes

    threads = [threading.Thread(target=emit, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE_S)
    assert all(write.endswith("\n") for write in written.writes)  # never half a line that another could follow
    records = [json.loads(line) for line in written.getvalue().splitlines()]
    assert sorted((r["thread"], r["line"]) for r in records) == [(t, n) for t in range(8) for n in range(100)]


def test_a_line_is_written_when_its_newline_comes_and_the_stream_answers_for_the_rest() -> None:
    written = io.StringIO()
    stream = whole_lines(written)
    stream.write("half a ")
    assert written.getvalue() == ""
    stream.write("line\nand the start of another")
    assert stream.getvalue() == "half a line\n"  # what WholeLines does not do itself, the stream does
