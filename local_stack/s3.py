"""Embedded S3: moto's S3 on a free port of 127.0.0.1, reached through boto3 with `endpoint_url`, exactly as the
search Lambdas reach S3 in AWS.

It runs in a child process of its own, as S3 is a service of its own: in the stack's process it would take the
GIL for every S3 call of every Lambda, about 40% of the stack's CPU under load. The child serves S3 over
kept-alive connections and ends with its parent (when its stdin closes), or at `stop()`.

A listing by prefix reads only the keys under it (local_stack.s3_keys): it stays as fast after thousands of searches.
It runs on the stack's clock and expires objects as the buckets' lifecycle rules say (local_stack.s3_lifecycle).

For the reliability tests it can also fail as S3 does: `outage()` takes it off the network (the port refuses
connections) and brings it back at the same address with everything it held, and `failing(S3Fault(...))`
answers S3's own error responses to the requests it matches.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from local_stack.clock import REAL_TIME, StackClock

if TYPE_CHECKING:
    from search_service.config import Settings

LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # moto accepts any
CONNECTIONS = 256  # kept-alive connections to S3: one client serves every concurrent "Lambda" here
START_TIMEOUT_S = 30.0
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class S3Fault:
    """An error S3 answers instead of doing the request, e.g. S3Fault(503, "SlowDown") for every request, or
    S3Fault(403, "AccessDenied", method="PUT", key_contains="/suppliers/") for some writes only."""

    status: int = 500
    code: str = "InternalError"
    message: str = "We encountered an internal error. Please try again."
    method: str | None = None  # only requests with this HTTP method
    key_contains: str | None = None  # only requests whose path (/bucket/key) contains this

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or method == self.method) and (
            self.key_contains is None or self.key_contains in path
        )

    def body(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message>"
            "<RequestId>LOCALFAULT</RequestId></Error>"
        ).encode()


class EmbeddedS3:
    """The parent's handle on the child process: start, stop, and the faults, by one-line commands."""

    def __init__(self, port: int = 0, clock: StackClock = REAL_TIME) -> None:
        self._port = port
        self._clock = clock
        self._child: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self.url = ""

    def start(self) -> str:
        """Listens on the port given, or a free one. OSError when the port is taken."""
        with self._lock:
            if self._child is None:
                env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
                self._child = subprocess.Popen(
                    [sys.executable, "-m", "local_stack.s3", str(self._port), _offset(self._clock)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                    env=env,
                )
                answer = self._answer()
            else:
                answer = self._command("online")
            self._port = int(answer)
            self.url = f"http://127.0.0.1:{self._port}"
            return self.url

    def stop(self) -> None:
        """The child ends, and what it held with it."""
        with self._lock:
            child, self._child = self._child, None
            self.url = ""
        if child is not None:
            assert child.stdin is not None
            try:
                child.stdin.close()  # the child's signal to end
                child.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                child.kill()
                child.wait(5)

    def set_clock(self, clock: StackClock) -> None:
        """S3 reads the time from `clock` from now on: a test moves it past the lifecycle rules' expiry."""
        with self._lock:
            self._command(f"clock {_offset(clock)}")
            self._clock = clock

    @contextmanager
    def outage(self) -> Iterator[None]:
        """S3 is off the network until the block ends: its port refuses connections and open ones are closed.
        Then it is back, at the same address, with everything it held."""
        with self._lock:
            self._command("offline")
        try:
            yield
        finally:
            with self._lock:
                self._command("online")

    @contextmanager
    def failing(self, fault: S3Fault) -> Iterator[None]:
        """S3 answers `fault` to the requests it matches until the block ends."""
        with self._lock:
            self._command("fault " + json.dumps(asdict(fault)))
        try:
            yield
        finally:
            with self._lock:
                self._command("fault null")

    def _command(self, line: str) -> str:
        if self._child is None or self._child.stdin is None:
            raise RuntimeError("the embedded S3 is not running: start() first")
        self._child.stdin.write(line + "\n")
        self._child.stdin.flush()
        return self._answer()

    def _answer(self) -> str:
        assert self._child is not None and self._child.stdout is not None
        line = self._child.stdout.readline().strip()
        status, _, detail = line.partition(" ")
        if status == "ok":
            return detail
        if status == "error":
            raise OSError(detail)
        self._child.kill()
        raise RuntimeError(f"the embedded S3 did not start (it said {line!r}, exit code {self._child.poll()})")


def _offset(clock: StackClock) -> str:
    return repr(clock.offset.total_seconds())


def s3_client(endpoint_url: str, settings: Settings) -> Any:
    """The search Lambdas' own client (their timeouts and retries), with explicit local credentials so no
    profile, environment or instance metadata is read. One Lambda instance runs one request at a time, so the
    client's default 10 connections are plenty in AWS; here one client serves all the stack's concurrent
    requests, and with 10 connections most S3 calls under load opened (and threw away) a new one."""
    import boto3
    from botocore.config import Config

    from search_service.wiring import boto3_client

    lambdas = boto3_client("s3", settings, endpoint_url, **LOCAL_CREDENTIALS)
    config = lambdas.meta.config.merge(Config(max_pool_connections=CONNECTIONS))
    return boto3.client(
        "s3", region_name=settings.region, endpoint_url=endpoint_url, config=config, **LOCAL_CREDENTIALS
    )


# --- the child process ------------------------------------------------------------------------------------------


class _S3Service:
    """moto's S3 app behind a threaded HTTP/1.1 server, with its faults; commands come on stdin, one a line,
    each answered on stdout with "ok [detail]" or "error <reason>":

        online        listen (again) on the port: "ok <port>"
        offline       stop listening and close the open connections
        fault <json>  answer this S3Fault to the requests it matches; "fault null" ends it
        clock <s>     read the time from the stack's clock moved by this many seconds from the wall clock
    """

    def __init__(self, port: int, clock_offset_s: float) -> None:
        from moto.server import create_backend_app

        from local_stack import s3_keys, s3_lifecycle

        s3_keys.install()  # before any bucket is made
        self._clock = StackClock(timedelta(seconds=clock_offset_s))
        s3_lifecycle.use_clock(lambda: self._clock.now())
        self._lifecycle = s3_lifecycle.Lifecycle(lambda: self._clock.now())

        # moto's S3 app itself, not its all-services dispatcher: that one finds the service of every request
        # under a process-wide lock, listing moto's package directory each time (about 200 stat calls).
        self._moto = create_backend_app("s3")
        self._port = port
        self._fault: S3Fault | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._protocol = sys.stdout
        # moto answers one request at a time, in about their order of arrival. Its work holds the GIL, so answering
        # requests at once gains nothing, and under a burst of writes (200 searches, nine suppliers each) hundreds
        # of threads took turns with the GIL: a read waited seconds behind writes that came after it.
        self._one_at_a_time = threading.Lock()

    def serve(self) -> None:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per S3 call otherwise
        sys.stdout = sys.stderr  # stdout is the answers' channel: anything else printed goes to stderr
        commands: dict[str, Callable[[str], str]] = {
            "online": self._online,
            "offline": self._offline,
            "fault": self._set_fault,
            "clock": self._set_clock,
        }
        # Ctrl-C reaches the whole process group: the parent stops this process (closing stdin), without a
        # traceback from here.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self._reply(self._online)
        for line in sys.stdin:  # until the parent closes it, or is gone
            name, _, argument = line.strip().partition(" ")
            command = commands.get(name)
            if command is None:
                print(f"error unknown command {name!r}", file=self._protocol, flush=True)
            else:
                self._reply(command, argument)
        os._exit(0)  # the parent is done with it: what S3 held goes with it

    def _reply(self, command: Callable[..., str], *argument: str) -> None:
        try:
            detail = command(*argument) if argument else command("")
        except OSError as error:
            print(f"error {error}", file=self._protocol, flush=True)
        else:
            print(f"ok {detail}".rstrip(), file=self._protocol, flush=True)

    def _online(self, _: str) -> str:
        if self._server is None:
            from werkzeug.serving import ThreadedWSGIServer

            from local_stack.http_server import BACKLOG, DropsConnectionsOnClose

            class Server(DropsConnectionsOnClose, ThreadedWSGIServer):
                request_queue_size = BACKLOG

            try:
                self._server = Server("127.0.0.1", self._port, self._app, handler=_keep_alive_handler())
            except SystemExit:  # werkzeug's answer to a port in use: a message on stderr and exit(1)
                raise OSError(errno.EADDRINUSE, f"Address already in use: port {self._port}") from None
            self._port = int(self._server.server_address[1])
            serve = functools.partial(self._server.serve_forever, poll_interval=0.05)  # offline at once
            self._thread = threading.Thread(target=serve, name="embedded-s3", daemon=True)
            self._thread.start()
        return str(self._port)

    def _offline(self, _: str) -> str:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()  # serve_forever closes the listening socket as it returns
            self._thread.join(5)
            self._server.drop_connections()
        self._server = self._thread = None
        return ""

    def _set_fault(self, argument: str) -> str:
        raw = json.loads(argument)
        self._fault = S3Fault(**raw) if raw else None
        return ""

    def _set_clock(self, argument: str) -> str:
        with self._one_at_a_time:
            self._clock = StackClock(timedelta(seconds=float(argument)))
        return ""

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        fault = self._fault
        if fault is None or not fault.matches(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")):
            with self._one_at_a_time:
                self._lifecycle.expire()
                return list(self._moto(environ, start_response))
        body = fault.body()
        try:
            reason = HTTPStatus(fault.status).phrase
        except ValueError:
            reason = "Error"
        start_response(f"{fault.status} {reason}", [("Content-Type", "application/xml")])
        return [body]


def _keep_alive_handler() -> type:
    """moto's request handler, answering over kept-alive connections as S3 does. werkzeug's development server
    closes the connection after every response, so each S3 call paid for a new connection and a new server
    thread, waited 10 ms for the server to drain the connection, and left a socket in TIME_WAIT."""
    import io

    from moto.server import MotoRequestHandler

    class KeepAlive(MotoRequestHandler):
        wbufsize = 1 << 16  # the status line, headers and body leave in one write: no Nagle delay between them

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def handle_expect_100(self) -> bool:
            answered = bool(super().handle_expect_100())
            self.wfile.flush()  # the client waits for the 100 Continue before it sends the body
            return answered

        def run_wsgi(self) -> None:
            environ = self.make_environ()  # moto's: header names with underscores are kept as sent
            if environ.pop("wsgi.input_terminated", False):  # chunked: the whole body, de-chunked
                body = environ["wsgi.input"].read()
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length > 0 else b""
            # Read whole before the app runs, so the connection is ready for the next request whatever the app
            # reads of it (an injected fault reads nothing).
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            answer: list[Any] = []
            chunks: list[bytes] = []

            def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                answer[:] = [status, headers]
                return chunks.append

            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            status, headers = answer
            code, _, reason = status.partition(" ")
            payload = b"".join(chunks)
            self.send_response(int(code), reason)
            dropped = {"connection", "transfer-encoding", "keep-alive"}
            if self.command != "HEAD":  # a HEAD answer's Content-Length is the object's, from moto
                dropped.add("content-length")
            for name, value in headers:
                if name.lower() not in dropped:
                    self.send_header(name, value)
            if self.command != "HEAD" and int(code) >= 200 and int(code) not in (204, 304):
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            self.wfile.flush()

    return KeepAlive


if __name__ == "__main__":
    _S3Service(int(sys.argv[1]) if len(sys.argv) > 1 else 0, float(sys.argv[2]) if len(sys.argv) > 2 else 0.0).serve()
