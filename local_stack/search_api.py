"""The search service on 127.0.0.1: its Lambdas' real handlers, wired to the embedded S3, behind an HTTP
server that does what API Gateway does in AWS: POST /search to the start Lambda, GET and DELETE /search to the
results Lambda.

- Each request becomes the REST proxy event AWS would send (`search_service.api.gateway`), and the Lambda's
  answer goes back as the HTTP response.
- AWS_IAM authorization is checked as API Gateway checks it (`local_stack.iam_auth`): a request without a good SigV4
  signature by the stack's credentials (the skill's role here) gets API Gateway's 403 before any Lambda runs. The
  skill signs the same way in AWS, with its role's credentials.
- The routes, their authorization, request validators and gateway responses, the stage and the throttles are read
  from infrastructure/template.yaml (`local_stack.gateway_spec.RestApiSpec`), so that this stand-in and AWS cannot
  drift; tests/local_stack/test_gateway_spec.py holds it to the SAM-transformed template.
- A path or method the API does not have gets API Gateway's own 403 "Missing Authentication Token".
- The template's request validators: a required parameter missing or blank, or a POST /search whose body is not
  a JSON object (its model), gets a 400 before any Lambda runs, with the template's gateway response.
- The stage's and methods' throttles, when asked for (`local_stack.throttle`, off by default): 429 "Too Many
  Requests" once a method's bucket is empty.
- The start Lambda's asynchronous invoke of the search Lambda is queued (ThreadLauncher): the caller gets its
  202 at once, and an invocation that raises is tried again, like Lambda's async retries. When every attempt
  raised, the invocation record goes to the lost-search queue as in AWS (the template's on-failure
  destination): the queue hands it to the lost-search Lambda as an SQS event, and the search is marked failed.
- The async searches run in a process of their own (`SearchRuntime`), as they run in Lambda instances of their
  own in AWS: in the API's process, each search's nine supplier threads and S3 writes competed with the
  requests people wait for, for one GIL, and under load the GETs timed out behind them.
- Concurrent requests are answered at once, each by a Lambda instance of its own (`LambdaFunction`), and
  Powertools' event handler is made to keep the request it answers per thread (`_requests_per_thread`). In
  Lambda a process runs one invocation at a time, so Powertools keeps it on its resolver (`app.context`) and even
  in a class attribute shared by every resolver of the process (`BaseRouter.current_event`); here the HTTP
  Lambdas serve concurrent requests in one process, and requests answered each other's events (a GET for one search got
  another search's results, or failed with KeyError '_route').
- `pause()` and `resume()` take the API off the network and back (its port refuses connections meanwhile),
  as when API Gateway cannot be reached; the Lambdas and the searches they run carry on.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_stack import iam_auth, throttle
from local_stack.callback_queue import LocalCallbackQueue
from local_stack.clock import REAL_TIME, StackClock
from local_stack.gateway_spec import FUNCTIONS, RestApiSpec, Unsupported, rest_api_spec
from local_stack.http_server import JsonHandler, LocalServer
from local_stack.log_stream import logs_to
from local_stack.s3 import LOCAL_CREDENTIALS, s3_client
from local_stack.search_queue import LocalSearchQueue, sqs_record
from search_service.adapters.local_context import LocalLambdaContext
from search_service.adapters.s3_cache import S3ResultCache
from search_service.adapters.sqs_launcher import SqsLauncher
from search_service.adapters.thread_launcher import ThreadLauncher
from search_service.api.gateway import event_from_http, http_from_response
from search_service.config import Settings
from search_service.domain.ports import SearchLauncher
from search_service.wiring import aws_services, push_channel

if TYPE_CHECKING:
    from skill.sigv4 import Credentials

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
SEARCH_TIMEOUT_S = 30.0  # the search Lambda's Timeout in infrastructure/template.yaml (a test keeps them equal)
# The HTTP Lambdas' Timeouts there: a long poll stops within the results function's time (tests keep them equal).
HTTP_TIMEOUTS_S = {"start": 10.0, "results": 25.0}
# The search Lambda's EventInvokeConfig and its lost-search queue in infrastructure/template.yaml (tests keep them
# equal): one retry of a failed async invoke, events given up after 5 minutes in the queue, and a lost-search
# record received up to 5 times before it goes to the dead-letter queue.
ASYNC_RETRY_ATTEMPTS = 1
ASYNC_MAX_EVENT_AGE_S = 300.0
LOST_SEARCH_MAX_RECEIVES = 5
DEFAULT_RETRY_DELAYS_S = (1.0,)  # Lambda waits about a minute before its retry; locally, a second
# The callback queue's waits against SQS's: make serve's retries come in seconds, not minutes (LocalCallbackQueue).
CALLBACK_DELAY_SCALE = 0.05
LOCAL_CALLBACK_QUEUE = "local://callbacks"  # turns callbacks on (CALLBACK_QUEUE_URL); the queue is LocalCallbackQueue
# The results bucket's lifecycle rule in infrastructure/template.yaml (a test keeps them equal): everything under the
# results prefix expires a day after it was written. The embedded S3 applies it on the stack's clock.
# Handover: queue (infrastructure/template.yaml's search queue and its event source; tests keep them equal): at most
# the search Lambda's reserved executions busy at once (MaximumConcurrency), each message received twice at most (a
# run and one retry, as the async invoke's) before the redrive policy moves it to the lost-search queue.
SEARCH_MAX_CONCURRENCY = 50
SEARCH_QUEUE_MAX_RECEIVES = 2
RESULTS_RULE_ID = "expire-results"
RESULTS_EXPIRE_AFTER_DAYS = 1

ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger(__name__)


class LambdaFunction:
    """A Lambda function's instances: each runs one invocation at a time, as in Lambda; an invocation that finds
    none idle gets a new one (a cold start, a few milliseconds here), which stays for the next invocations."""

    def __init__(self, build: Callable[[], LambdaHandler]) -> None:
        self._build = build
        self._idle: list[LambdaHandler] = []
        self._lock = threading.Lock()
        self.instances = 0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            handler = self._idle.pop() if self._idle else None
            if handler is None:
                self.instances += 1
        if handler is None:
            handler = self._build()
        try:
            return handler(event, context)
        finally:
            with self._lock:
                self._idle.append(handler)


class Answered:
    """The gateway's answers by HTTP status, as its clients saw them: a 5xx here is one a client got."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()

    def add(self, status: int) -> None:
        with self._lock:
            self._counts[status] += 1

    def counts(self) -> dict[int, int]:
        with self._lock:
            return dict(self._counts)


_requests = threading.local()


class _PerThread:
    """An attribute of Powertools' BaseRouter kept per thread: the same descriptor serves the class (through its
    metaclass: `BaseRouter.current_event = ...`) and its instances (`app.current_event`)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        try:
            return getattr(_requests, self._name)
        except AttributeError:
            raise AttributeError(self._name) from None

    def __set__(self, instance: Any, value: Any) -> None:
        setattr(_requests, self._name, value)


def _requests_per_thread() -> bool:
    """Makes Powertools' event handler keep the event and Lambda context it is answering per thread rather than in
    class attributes of BaseRouter, shared by the whole process. True once done; False if this Powertools does not
    allow it, and then the gateway answers one request at a time."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    names = ("current_event", "lambda_context")
    if all(isinstance(vars(type(BaseRouter)).get(name), _PerThread) for name in names):
        return True
    try:
        per_thread = type("PerThreadRouterMeta", (type(BaseRouter),), {name: _PerThread(name) for name in names})
        for name in names:
            type.__setattr__(BaseRouter, name, _PerThread(name))  # instances: app.current_event
        type.__setattr__(BaseRouter, "__class__", per_thread)  # the class: BaseRouter.current_event = ...
    except TypeError:
        log.warning("Powertools' BaseRouter cannot keep requests per thread: the local API answers one at a time")
        return False
    return True


class LostSearchQueue:
    """The lost-search queue and its event source mapping: each invocation record Lambda gives up on becomes an
    SQS message delivered to the lost-search Lambda. A message the Lambda reports back (batchItemFailures: S3 was
    down) is received again after `redelivery_s` (AWS: the 180 s visibility timeout), up to
    LOST_SEARCH_MAX_RECEIVES times; then it would be in the dead-letter queue, here `dead_letters`."""

    def __init__(self, consumer: LambdaHandler, redelivery_s: float, region: str = "us-east-1") -> None:
        self._consumer = consumer
        self._redelivery_s = redelivery_s
        self._arn = f"arn:aws:sqs:{region}:000000000000:car-search-lost-searches"
        self._region = region
        self._stopped = threading.Event()
        self.delivered: list[dict[str, Any]] = []  # the invocation records received, for tests
        self.dead_letters: list[dict[str, Any]] = []

    def send(self, record: dict[str, Any]) -> None:
        """Called on the async invoke's own thread, so `ThreadLauncher.wait_idle` waits for the marking too."""
        if self._stopped.is_set():
            return  # the stack is going away: the record goes with it
        body = json.dumps(record)
        message_id = str(uuid.uuid4())
        sent = datetime.now(UTC)
        self.delivered.append(record)
        for receive in range(1, LOST_SEARCH_MAX_RECEIVES + 1):
            if receive > 1 and self._stopped.wait(self._redelivery_s):
                return
            message = sqs_record(message_id, body, receive, sent, self._arn, "AROALOCALLAMBDA:car-search-search")
            try:
                context = LocalLambdaContext("lost-searches", timeout_s=SEARCH_TIMEOUT_S)
                answer = self._consumer({"Records": [message]}, context)
                failed = {item.get("itemIdentifier") for item in answer.get("batchItemFailures") or []}
            except Exception:
                log.exception("the lost-search consumer failed (receive %d)", receive)
                failed = {message_id}
            if message_id not in failed:
                return
        log.error("lost-search record received %d times, now a dead letter: %s", LOST_SEARCH_MAX_RECEIVES, body)
        self.dead_letters.append(record)

    def stop(self) -> None:
        self._stopped.set()


class SearchRuntime:
    """The search Lambda's async invocations, run in a child process: `invoke(event, context)` hands the event over
    and returns the Lambda's answer, or raises what it raised (an exception of the same class name, for the
    invocation record). The child runs each event on a thread of its own, so concurrent invocations run at once,
    as concurrent Lambda instances do; it ends with its parent (when its stdin closes), or at `close()`."""

    def __init__(
        self, s3_endpoint: str, settings: Settings, clock: StackClock = REAL_TIME, log: str | None = None
    ) -> None:
        """`log`: the file the child's Lambda logs go to; by default this process's stdout's (see `_log_file`)."""
        spec = {
            "s3": s3_endpoint,
            "settings": asdict(settings),
            "log": log or _log_file(),
            "clock_offset_s": clock.offset.total_seconds(),
        }
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self._child = subprocess.Popen(
            [sys.executable, "-m", "local_stack.search_api", json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._waiting: dict[int, Future[dict[str, Any]]] = {}
        self._gone: str | None = None
        # Where the runs' callback events go: the child's run Lambda sends them up the pipe (see _PipeQueue).
        self.callback_queue: Callable[[str, int], None] | None = None
        self._replies = threading.Thread(target=self._read_replies, name="search-runtime", daemon=True)
        self._replies.start()

    def invoke(self, event: dict[str, Any], context: Any = None) -> Any:
        reply: Future[dict[str, Any]] = Future()
        with self._lock:
            if self._gone is not None:
                raise RuntimeError(self._gone)
            number = next(self._ids)
            self._waiting[number] = reply
            try:
                assert self._child.stdin is not None
                self._child.stdin.write(json.dumps({"id": number, "event": event}) + "\n")
                self._child.stdin.flush()
            except OSError:
                del self._waiting[number]
                raise RuntimeError("the search runtime has exited") from None
        try:
            answer = reply.result(SEARCH_TIMEOUT_S + 10)  # the child's Lambda keeps within SEARCH_TIMEOUT_S
        except TimeoutError:
            with self._lock:
                self._waiting.pop(number, None)
            raise
        if "error" in answer:
            raise _remote_error(answer["error"])
        return answer["result"]

    def set_latency_scale(self, scale: float) -> None:
        """The suppliers' latency scale for the searches handed over from now on (the console's setting): the child
        reads its stdin in order, so each event written after this line runs with it; runs under way keep theirs."""
        with self._lock:
            if self._gone is not None:
                raise RuntimeError(self._gone)
            assert self._child.stdin is not None
            self._child.stdin.write(json.dumps({"settings": {"supplier_latency_scale": scale}}) + "\n")
            self._child.stdin.flush()

    def close(self) -> None:
        """The child ends at once: invocations still running are abandoned, as the stack is going away."""
        with self._lock:
            if self._gone is None:
                self._gone = "the search runtime is closed"
            if self._child.stdin is not None and not self._child.stdin.closed:
                with contextlib.suppress(OSError):
                    self._child.stdin.close()  # the child's signal to end
        try:
            self._child.wait(5)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait(5)
        self._replies.join(5)

    def _read_replies(self) -> None:
        assert self._child.stdout is not None
        for line in self._child.stdout:
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if "send" in answer:
                if self.callback_queue is not None:
                    self.callback_queue(answer["send"], int(answer.get("delay", 0)))
                continue
            with self._lock:
                reply = self._waiting.pop(answer.get("id"), None)
            if reply is not None:
                reply.set_result(answer)
        with self._lock:
            if self._gone is None:
                self._gone = f"the search runtime exited (code {self._child.poll()})"
            waiting, self._waiting = self._waiting, {}
        for reply in waiting.values():
            reply.set_exception(RuntimeError(self._gone))


def _remote_error(error: dict[str, Any]) -> Exception:
    """The child's exception as one of the same class name, with its traceback, for the invocation record."""
    kind = type(str(error.get("type") or "Exception"), (Exception,), {})
    raised = kind(error.get("message", ""))
    raised.stack_trace = error.get("trace") or []
    return raised


def _log_file() -> str | None:
    """Where this process's stdout goes when it is a file (make chat's local_stack.log), so the Lambda logs of the
    child go there too; None otherwise (the child's then go to stderr)."""
    name = getattr(sys.stdout, "name", None)
    if isinstance(name, str) and os.path.isfile(name) and not sys.stdout.isatty():
        return os.path.abspath(name)
    return None


class _PipeQueue:
    """The CallbackQueue port in the search runtime's child: each message goes up the pipe to the parent's
    LocalCallbackQueue ({"send": body, "delay": seconds}), before the run's own answer."""

    def __init__(self, pipe: Any, lock: threading.Lock) -> None:
        self._pipe = pipe
        self._lock = lock

    def send(self, message: Any, delay_s: int) -> None:
        from search_service.adapters.webhooks import message_body

        line = json.dumps({"send": message_body(message), "delay": delay_s})
        with self._lock:
            self._pipe.write(line + "\n")
            self._pipe.flush()


def _run_searches(spec: dict[str, Any]) -> None:
    """The child process: the search Lambda's handler (the runs), wired to the embedded S3, one thread per event.
    Events come on stdin, one JSON object a line ({"id", "event"}); answers go to stdout ({"id", "result"} or
    {"id", "error"}), and the Lambda's own logs to the parent's log file or stderr."""
    protocol = logs_to(spec.get("log"))
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    from search_service.entry.run import build_handler

    config = Settings(**spec["settings"])
    clock = StackClock(timedelta(seconds=spec["clock_offset_s"]))
    s3 = s3_client(spec["s3"], config)
    write = threading.Lock()
    callbacks = _PipeQueue(protocol, write)

    def function(settings: Settings) -> LambdaFunction:
        # Concurrent searches, each on an instance of its own, as in Lambda: an instance's metrics are its own.
        services = aws_services(settings, s3, clock)
        # The WebSocket subscribers' events (local_stack.websocket_api's management endpoint, when it is on).
        push = push_channel(settings, **LOCAL_CREDENTIALS)
        return LambdaFunction(lambda: build_handler(services, callbacks, push))

    search = function(config)

    def run(search: LambdaFunction, number: int, event: dict[str, Any]) -> None:
        try:
            answer: dict[str, Any] = {
                "id": number,
                "result": search(event, LocalLambdaContext("search", timeout_s=SEARCH_TIMEOUT_S)),
            }
        except Exception as error:
            trace = traceback.format_tb(error.__traceback__)
            answer = {"id": number, "error": {"type": type(error).__name__, "message": str(error), "trace": trace}}
        line = json.dumps(answer, default=str)
        with write:
            protocol.write(line + "\n")
            protocol.flush()

    # Ctrl-C reaches the whole process group: the parent stops this process (closing stdin), without a
    # traceback from here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in sys.stdin:  # until the parent closes it, or is gone
        request = json.loads(line)
        if "settings" in request:  # SearchRuntime.set_latency_scale: a new configuration, as after a Lambda update
            config = replace(config, **request["settings"])
            search = function(config)
            continue
        threading.Thread(target=run, args=(search, request["id"], request["event"]), daemon=True).start()
    os._exit(0)  # searches still running are abandoned: the stack is going away


@dataclass
class SearchApi:
    server: LocalServer
    launcher: ThreadLauncher | LocalSearchQueue  # how searches are handed over: wait_idle, shutdown, failures
    cache: S3ResultCache
    settings: Settings
    s3: Any = None  # the Lambdas' S3 client
    lost_searches: LostSearchQueue | None = None
    serve: Callable[[int], LocalServer] | None = field(default=None, repr=False)  # the gateway on a port
    runtime: SearchRuntime | None = None
    answered: Answered = field(default_factory=Answered)
    callbacks: LocalCallbackQueue | None = None
    functions: dict[str, LambdaHandler] = field(default_factory=dict)  # the HTTP Lambdas, for the browser API too
    spec: RestApiSpec = field(default_factory=rest_api_spec)  # what the gateway serves, from the template

    @property
    def url(self) -> str:
        """The base URL the skill is configured with, e.g. http://127.0.0.1:3000/beta."""
        return f"http://127.0.0.1:{self.server.port}/{self.spec.stage}"

    def pause(self) -> None:
        """The API goes off the network: its port refuses connections and open ones are closed. Searches
        already launched go on."""
        self.server.stop()

    def resume(self) -> None:
        """The API answers again, on the same port."""
        assert self.serve is not None, "this SearchApi cannot be resumed"
        self.server = self.serve(self.server.port)

    def set_latency_scale(self, scale: float) -> None:
        """How slow the simulated companies answer, for the searches started from now on (SUPPLIER_LATENCY_SCALE
        at start); `settings` says the scale in force."""
        if self.runtime is None:
            raise RuntimeError("this SearchApi runs its searches in-process: its latency scale is fixed")
        self.runtime.set_latency_scale(scale)
        self.settings = replace(self.settings, supplier_latency_scale=scale)

    def stop(self, grace_s: float = 5.0) -> None:
        self.server.stop()
        if self.lost_searches is not None:
            self.lost_searches.stop()
        if self.callbacks is not None:
            self.callbacks.stop()
        self.launcher.shutdown()
        self.launcher.wait_idle(grace_s)  # a search still running may finish its S3 writes before S3 goes away
        if self.runtime is not None:
            self.runtime.close()
        self.cache.close()


def start_search_api(
    s3_endpoint: str,
    credentials: Credentials,
    port: int = 0,
    retry_delays_s: tuple[float, ...] = DEFAULT_RETRY_DELAYS_S,
    clock: StackClock = REAL_TIME,
    runtime_log: str | None = None,
    callback_delay_scale: float = CALLBACK_DELAY_SCALE,
    handover: str = "invoke",
    max_concurrency: int = SEARCH_MAX_CONCURRENCY,
    **settings: Any,
) -> SearchApi:
    """`retry_delays_s`: the waits before the async invoke's retries, one per retry (the template has
    ASYNC_RETRY_ATTEMPTS); the lost-search queue redelivers after the first of them. `clock`: the stack's, for both
    Lambdas here and in the search runtime (default: the real time). `runtime_log`: see SearchRuntime.
    `callback_delay_scale`: the callback queue's waits against SQS's (see LocalCallbackQueue). `handover`:
    "invoke" (Lambda's async invoke) or "queue" (the search queue, consumed `max_concurrency` at a time, whose
    messages are visible again after the first retry delay), as the template's Handover parameter. The
    template's throttles are enforced when SEARCH_API_THROTTLES=on (local_stack.throttle says why not by default)."""
    from search_service.entry import callbacks, lost_searches, results, start

    # Callbacks on, to receivers on 127.0.0.1 over http: the only difference from AWS's URL checks.
    local_callbacks = {
        "callback_queue_url": LOCAL_CALLBACK_QUEUE,
        "callback_allow_http": True,
        "callback_allow_loopback": True,
    }
    config = replace(
        Settings.from_env(), s3_endpoint_url=s3_endpoint, handover=handover, **{**local_callbacks, **settings}
    )
    # The search runtime starts now: its imports overlap the rest of the start.
    runtime = SearchRuntime(s3_endpoint, config, clock, runtime_log)
    try:
        client = s3_client(s3_endpoint, config)
        _create_results_bucket(client, config)
        services = aws_services(config, client, clock)
        reader = LambdaFunction(lambda: results.build_handler(services, callback_queue))
        marker = LambdaFunction(lambda: lost_searches.build_handler(services, callback_queue))
        deliverer = LambdaFunction(lambda: callbacks.build_handler(services, callback_queue))
        callback_queue = LocalCallbackQueue(deliverer, clock, callback_delay_scale, config.region)
        runtime.callback_queue = callback_queue.send_body
        redelivery_s = retry_delays_s[0] if retry_delays_s else 0.0
        lost = LostSearchQueue(marker, redelivery_s, config.region)
        launcher: ThreadLauncher | LocalSearchQueue
        handing: SearchLauncher
        if handover == "queue":
            launcher = LocalSearchQueue(runtime.invoke, clock.now, max_concurrency, redelivery_s,
                                        SEARCH_QUEUE_MAX_RECEIVES, lost.send, region=config.region)  # fmt: skip
            handing = SqsLauncher(launcher, launcher.url)
        else:
            launcher = ThreadLauncher(
                runtime.invoke,
                retry_delays_s,
                on_failure=lost.send,
                max_event_age_s=ASYNC_MAX_EVENT_AGE_S,
                function_name=config.search_function_name,
                region=config.region,
            )
            handing = launcher
        starter = LambdaFunction(lambda: start.build_handler(services, handing))
    except BaseException:
        runtime.close()
        raise

    answered = Answered()
    spec = rest_api_spec()
    # One set of buckets for the API's life: a pause and resume does not refill them.
    limits = throttle.Throttles.of(spec) if throttle.wanted(os.environ) else None

    def serve(on_port: int) -> LocalServer:
        return start_gateway(starter, reader, credentials, on_port, answered, spec, limits)

    try:
        server = serve(port)
    except BaseException:
        callback_queue.stop()
        runtime.close()
        raise
    cache = services.cache
    assert isinstance(cache, S3ResultCache)  # what aws_services makes; Services has it as the port
    return SearchApi(server, launcher, cache, config, client, lost, serve, runtime, answered, callback_queue,
                     {"start": starter, "results": reader}, spec)  # fmt: skip


def _create_results_bucket(client: Any, config: Settings) -> None:
    """The results bucket, with the template's lifecycle rule: the embedded S3 expires its objects as S3 does."""
    client.create_bucket(Bucket=config.results_bucket)
    rule = {
        "ID": RESULTS_RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": config.results_prefix},
        "Expiration": {"Days": RESULTS_EXPIRE_AFTER_DAYS},
    }
    client.put_bucket_lifecycle_configuration(Bucket=config.results_bucket, LifecycleConfiguration={"Rules": [rule]})


def start_gateway(
    start: LambdaHandler,
    results: LambdaHandler,
    credentials: Credentials,
    port: int = 0,
    answered: Answered | None = None,
    spec: RestApiSpec | None = None,
    throttles: throttle.Throttles | None = None,
) -> LocalServer:
    """What API Gateway does in front of the two HTTP Lambdas, as `spec` (by default the template's) says: its routes
    to them, AWS_IAM authorization of requests signed with `credentials`, its request validators, proxy events.
    `answered` counts the answers by status; `throttles`, when given, refuses what exceeds a method's limits."""
    api = spec or rest_api_spec()
    functions = {"start": start, "results": results}
    unserved = {route.function for route in api.routes.values()} - set(FUNCTIONS)
    if unserved:
        raise Unsupported(f"no local function for {sorted(unserved)}: add it to gateway_spec.FUNCTIONS")
    # See the module's docstring: concurrent requests only when Powertools keeps each one per thread.
    one_at_a_time: Any = contextlib.nullcontext() if _requests_per_thread() else threading.Lock()

    class Gateway(JsonHandler):
        def respond(self, status: int, body: bytes | dict | None, headers: dict[str, str] | None = None) -> None:
            super().respond(status, body, headers)
            if answered is not None:
                answered.add(status)

        def __getattr__(self, name: str) -> Any:
            # Every method goes to _forward, which answers those the API does not declare (PATCH, OPTIONS, HEAD,
            # TRACE, QUERY...) with API Gateway's 403; http.server would answer a 501 HTML page instead.
            if name.startswith("do_"):
                return self._forward
            raise AttributeError(name)

        def _forward(self) -> None:
            from urllib.parse import parse_qs, urlsplit

            body = self.read_body()
            if body is None:
                return
            target = urlsplit(self.path)
            # The stage prefix is optional here, so http://127.0.0.1:3000/search works as well as /beta/search.
            path = api.without_stage(target.path)
            route = api.routes.get((self.command, path))
            if route is None:
                self.respond(403, {"message": iam_auth.MISSING})
                return
            if throttles is not None and not throttles.admit(self.command, path):
                self.respond(429, throttle.TOO_MANY_REQUESTS)
                return
            if route.auth == "AWS_IAM":
                refused = iam_auth.refusal(self.command, self.path, self.headers, body, credentials)
                if refused:
                    self.respond(403, {"message": refused})
                    return
            missing = route.missing(parse_qs(target.query, keep_blank_values=True), dict(self.headers.items()))
            if missing:
                error = f"Missing required request parameters: [{', '.join(missing)}]"
                self.respond(*api.answer("BAD_REQUEST_PARAMETERS", error))
                return
            if route.body_problem(body):
                self.respond(*api.answer("BAD_REQUEST_BODY"))
                return
            name = FUNCTIONS[route.function]
            event = event_from_http(self.command, self.path, dict(self.headers), body, stage=api.stage)
            try:
                with one_at_a_time:
                    answer = functions[name](event, LocalLambdaContext(name, timeout_s=HTTP_TIMEOUTS_S[name]))
                status, headers, payload = http_from_response(answer)
            except Exception:
                # What API Gateway answers when the Lambda raises, or returns what is not a proxy response.
                log.exception("the %s Lambda failed", name)
                self.respond(502, {"message": "Internal server error"})
                return
            self.respond(status, payload, headers)

    server = LocalServer(Gateway, port)
    server.start()
    return server


if __name__ == "__main__":
    _run_searches(json.loads(sys.argv[1]))
