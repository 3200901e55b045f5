"""`python -m local_stack chat|serve`: the whole system on 127.0.0.1, offline, with no AWS account.

    chat [--replay FILE] [--verbose] [--locale en-US]   talk to the skill (make chat, make chat REPLAY=...)
    serve                                             the stack alone, for HTTP clients and simulators

Ports come from SKILL_PORT (8080), API_PORT (3000), HTTP_API_PORT (3001) and WS_PORT (3002), suppliers' latency
from SUPPLIER_LATENCY_SCALE (1), and CAR_SEARCH_TODAY=YYYY-MM-DD moves the whole stack's clock to that day.
HANDOVER=queue hands searches over through a search queue consumed at most 50 at a time instead of Lambda's async
invoke (HANDOVER=invoke, the default).
SKILL_ID refuses requests for any other skill;
VERIFY_ALEXA_REQUESTS=true (which needs SKILL_ID) checks that each request was signed by Alexa.
The Lambdas' own logs and metrics go to --log (local_stack.log; "-" for the terminal), so the conversation
stays readable. Ctrl-C or SIGTERM stops everything.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from local_stack.stop_signals import ignore_stops, stop_on

if TYPE_CHECKING:
    from local_stack.chat import Turn
    from local_stack.console.server import Console
    from local_stack.stack import LocalStack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("chat", "serve"))
    parser.add_argument("--replay", type=Path, help="an `ask dialog --replay` file to play instead of typing")
    parser.add_argument("--verbose", action="store_true", help="show each turn's intent, slots and timings")
    parser.add_argument("--locale", default=None, help="en-US (default), en-GB, en-CA or en-AU")
    parser.add_argument("--log", default="local_stack.log", help='where the Lambdas log ("-": the terminal)')
    args = parser.parse_args(argv)

    out = sys.stdout
    _quiet_lambdas(args.log)
    # SIGTERM stops like Ctrl-C: the finally below cleans up. Both through _stop, which ignores any further one first,
    # and whichever thread they reach (stop_signals).
    stop_on(_stop)
    # No AWS account here: without this, the entry modules' AWS composition (run when the stack imports them) asks
    # botocore for credentials, and botocore asks the EC2 instance metadata service, 169.254.169.254: off this machine.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

    from local_stack.clock import TODAY_VARIABLE
    from local_stack.iam_auth import local_role
    from local_stack.stack import LocalStack, StackOptions

    try:
        options = StackOptions.from_env(dict(os.environ))
    except ValueError as error:
        print(f"cannot start the local stack: {error}", file=out)
        return 2
    # The stack plays the handover itself, with its own queue; the entry modules' AWS composition, run when they are
    # imported, would otherwise look for the deployed search queue's URL.
    os.environ.pop("HANDOVER", None)
    stack = LocalStack(options)
    console = None
    try:
        stack.start()
    except OSError as error:
        print(f"cannot start the local stack: {error} (is SKILL_PORT or API_PORT taken?)", file=out)
        return 2
    try:
        moved = f"   today: {stack.options.clock.now().date()} ({TODAY_VARIABLE})" if stack.options.clock.offset else ""
        role = local_role()
        print(f"search API: AWS_IAM (SigV4), credentials {role.access_key_id}:{role.secret_access_key}   "
              f"handover: {_handover(stack)}   http-api: JWT, tokens from POST {stack.http_api.url}/local/token   "
              f"Lambda logs: {args.log}{moved}", file=out)  # fmt: skip
        print(f"ready: skill {stack.skill_url} api {stack.api_url.rsplit('/', 1)[0]}/search "
              f"http-api {stack.http_api.url}/search ws {stack.websocket.url}", file=out, flush=True)  # fmt: skip
        console = _console(stack, out)
        if args.command == "serve":
            while True:
                time.sleep(3600)
        return _chat(stack, args, out)
    except KeyboardInterrupt:
        return 0
    finally:
        # A second Ctrl-C, or the SIGTERM a terminal or make sends the whole group, must not break off the stop
        # (_stop ignores them from the first on): a stop broken off left the servers' threads, and the ports, alive.
        ignore_stops()
        if console is not None:
            console.stop()
        stack.stop(grace_s=0.5)  # Ctrl-C means now: searches still running are dropped


def _console(stack: LocalStack, out: TextIO) -> Console | None:
    """The workshop console on CONSOLE_PORT (8081; a free port when SKILL_PORT is 0 and CONSOLE_PORT unset, as the
    tests start the stack). A port taken keeps the stack running without it: the chat and the skill do not need it."""
    from local_stack.console.server import start_console
    from local_stack.http_api import ORIGINS_VARIABLE, default_origins
    from local_stack.interaction_model import ModelStore
    from tools.skill_models import MODELS_DIR

    default = "0" if os.environ.get("SKILL_PORT", "").strip() == "0" else "8081"
    try:
        console = start_console(stack, ModelStore(MODELS_DIR), int(os.environ.get("CONSOLE_PORT", default)))
    except (OSError, ValueError) as error:
        print(f"console: not started ({error}; set CONSOLE_PORT to a free port)", file=out, flush=True)
        return None
    if not os.environ.get(ORIGINS_VARIABLE, "").strip():
        # The browser API lets the console's pages in (its browser client): on the port the console was given, a
        # free one when the tests start the stack.
        stack.http_api.allow_origins(default_origins({"CONSOLE_PORT": str(console.port)}))
    print(f"console: {console.url} (open it in a browser)", file=out, flush=True)
    return console


def _handover(stack: LocalStack) -> str:
    if stack.options.handover == "queue":
        return f"queue (max concurrency {stack.options.search_max_concurrency}, HANDOVER)"
    return "invoke (async, HANDOVER)"


def _chat(stack: LocalStack, args: argparse.Namespace, out: TextIO) -> int:
    from local_stack.chat import Chat, stack_device
    from local_stack.interaction_model import ModelStore
    from tools.skill_models import MODELS_DIR

    locale = args.locale
    inputs: list[str] | None = None
    if args.replay:
        replay = json.loads(args.replay.read_text(encoding="utf-8"))
        inputs = [str(line) for line in replay.get("userInput", [])]
        locale = locale or replay.get("locale")
    chat = Chat(stack.skill_url, ModelStore(MODELS_DIR), stack_device(stack, locale or "en-US"))
    chat.on_progressive = lambda text: print(f"Alexa (progressive): {text}", file=out, flush=True)
    stack.on_progressive(chat.progressive)
    if inputs is None:
        print(
            'Say "open car search", or "ask car search to find a car in New York next weekend". '
            '"exit" ends the session, Ctrl-D or Ctrl-C quits.',
            file=out,
            flush=True,
        )
    errors = 0
    for text in inputs if inputs is not None else _typed(out):
        text = text.strip()
        if not text:
            continue
        if text in (".quit", ".exit"):
            break
        if inputs is not None:
            print(f"You: {text}", file=out, flush=True)
        turn = chat.say(text)
        if turn.error:
            errors += 1
            print(f"Alexa: {turn.error}", file=out, flush=True)
        elif turn.speech:
            print(f"Alexa: {turn.speech}", file=out, flush=True)
        if args.verbose:
            print(_details(turn), file=out, flush=True)
        if turn.session_ended and not turn.error:
            print("(the session is over: the next utterance opens a new one)", file=out, flush=True)
    return 1 if errors else 0


def _typed(out: TextIO) -> Iterator[str]:
    while True:
        try:
            print("You: ", end="", file=out, flush=True)
            yield input()
        except EOFError:
            print(file=out)
            return


def _details(turn: Turn) -> str:
    understood = turn.understood
    parts = [f"  request {turn.request_type}"]
    if understood is not None and understood.intent:
        slots = ", ".join(
            f"{name}={slot.value!r}" + (f" [{slot.matches[0][0]}]" if slot.matches else "")
            for name, slot in understood.slots.items()
        )
        parts.append(f"intent {understood.intent}" + (f" ({slots})" if slots else ""))
        if understood.sample:
            parts.append(f"matched {understood.sample!r}")
    parts.append(f"nlu {turn.nlu_ms:.0f} ms, skill {turn.skill_ms:.0f} ms")
    if turn.card:
        parts.append("card: " + turn.card.replace("\n", " / "))
    return "  |  ".join(parts)


def _quiet_lambdas(log: str) -> None:
    """The Lambdas log JSON and EMF metrics to stdout, as in AWS; here that goes to the log file."""
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon on a laptop
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CarSearchLocal")
    from local_stack.log_stream import whole_lines

    stream: TextIO = sys.stderr
    if log != "-":
        # Concurrent Lambda instances print to it: each line whole (see WholeLines).
        stream = sys.stdout = whole_lines(open(log, "a", buffering=1, encoding="utf-8"))  # noqa: SIM115 - the process's life
    # Everything else that logs (the async executor's retries, Powertools' warnings) goes to the same place.
    logging.basicConfig(stream=stream, level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.captureWarnings(True)
    # The skill logs with the standard library; in Lambda the runtime writes its records as JSON at INFO.
    skill = logging.getLogger("car-search-skill")  # skill.interceptors.LOGGER_NAME; lambda/ is not on sys.path yet
    skill.setLevel(logging.INFO)
    skill.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_LambdaJson())
    skill.addHandler(handler)


class _LambdaJson(logging.Formatter):
    """Roughly what Lambda's Python runtime writes with LogFormat JSON: the message, level, logger and extra keys."""

    _RECORD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line = {"timestamp": self.formatTime(record), "level": record.levelname, "message": record.getMessage(),
                "logger": record.name}  # fmt: skip
        line.update((key, value) for key, value in vars(record).items() if key not in self._RECORD)
        return json.dumps(line, default=str)


def _stop(signum: int, frame: object) -> None:
    ignore_stops()  # before anything else: the same signal sent to the whole group comes again at once
    raise KeyboardInterrupt


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:  # stopped while it started: LocalStack.start stopped what it had started
        code = 0
    sys.stdout.flush()
    if sys.__stdout__ is not None:  # None when the process was started without a stdout
        sys.__stdout__.flush()
    # A search still asking its (simulated, up to 12 s slow) suppliers would hold the interpreter's exit until
    # it ends, writing to an S3 that is gone: the stack is stopped, so leave now.
    os._exit(code)
