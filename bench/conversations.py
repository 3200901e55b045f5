"""Conversations: many simulated people talk to the skill through the local stack over HTTP, and the same people
hold the same conversations with a naive skill that starts the search only at the last turn.

What is measured, in realistic seconds (see "Time scale" below):
- each skill turn's HTTP response time (Alexa allows 8 s);
- the final-turn wait: from the moment the person finishes the utterance that asks for the results (the company,
  "no", or everything in one sentence) to the moment the offer is spoken, "still searching" turns included with
  the person's pauses before asking again ("are my results ready");
- the same wait for the naive baseline, on an identical stack, with the same scripts, pauses and queries (so the
  same supplier latencies), in the same run and at the same time.

People. Each conversation is a seeded script: a variant of the workshop conversation ("ask car search to find a
car in New York next weekend", "a small car", "Enterprise"): other cities, dates, sizes and companies, "no
preference" or "no" for the company, opening the skill first, the city and the date in separate turns, everything
in one sentence. They go through `local_stack.chat.Chat`, so the words are understood with the skill's own
interaction model, as `make chat` does. `users` people talk at once; each starts its next conversation when one
ends, so `users` conversations are always in progress. Their starts are spread over the first 10 s.

Pauses. Before each utterance a person listens to Alexa's question, reacts and speaks:
    pause = words of the question / ALEXA_WORDS_PER_S + reaction + (USER_START_S + words said / USER_WORDS_PER_S)
The question's words are the mean over the variants of the skill's own string for that question (en-US
strings, a placeholder counted as 2 words), so both designs get the same pauses; the reaction is drawn from a
log-normal distribution (median REACTION_MEDIAN_S, sigma REACTION_SIGMA, clipped to REACTION_RANGE_S) with the
run's seed. After "still searching" the question is the skill's RESULTS_NOT_READY_ANY and the utterance "are my
results ready". Alexa's own listening and speech recognition are left out, for both designs alike.

The baseline. A naive skill asks the same questions without calling the search API, so its earlier turns cost
the person only the same pauses; at the last utterance it does what the skill's last turn does, with the search
started only then: POST /search (the trip as the skill would send it, from the same words understood the same
way), then GET /search with the same filters every poll interval until the search is complete or failed or the
results budget is spent, exactly as `Dialog._wait_for_results`; then the offer if there is one ("partial" with
offers counts, as for the skill), else "still searching" and, after the person's pause, the same again. It uses
the skill's own `SearchClient` (HTTP, signed the same way) against its own local stack, identical to the skill's.
What it leaves out, the skill's own few milliseconds per turn and its progressive response, favours it.

Time scale. Supplier latency (SUPPLIER_LATENCY_SCALE), the skill's own timing (StackOptions.skill_time_scale:
results budget, poll interval, HTTP timeouts; the baseline's the same) and people's pauses are all multiplied by
`time_scale`; every duration measured is divided by it. Compute (Python, HTTP, the embedded S3) is not scaled, so
the conversion inflates it by 1/time_scale: the figures overstate every turn by its compute times
(1/time_scale - 1). `question_turn_ms` reports the compute of turns that wait for nothing, unscaled, so the
overstatement can be read off.

Processes. Each design has `stacks` local stacks, each a process of its own (with the embedded S3 and the
search runtime as its children); person n talks to stack n % stacks, and the people of both designs are threads
of this process. In one stack, the skill's and the API's handlers of everyone share one GIL, which AWS, where
each request has a Lambda instance of its own, does not: with one stack per design, 50 people made that process
stall for up to half a second and GETs pass the skill's timeout; two per design do not (bench/README.md). The
report gives each stack's CPU use (its process and its children) and how late a 10 ms sleep wakes up in its
main process, where a saturated process shows first.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import random
import re
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.logs import audit
from bench.stats import percentiles

ROOT = Path(__file__).resolve().parent.parent
STRINGS = ROOT / "lambda" / "skill" / "strings" / "en-US.json"

DEFAULT_USERS = 50
DEFAULT_CONVERSATIONS = 500
DEFAULT_TIME_SCALE = 0.5
DEFAULT_SEED = 7
DEFAULT_STACKS = 2  # local stacks per design
ALEXA_LIMIT_S = 8.0
MAX_CHECKS = 6  # "are my results ready" asked this many times at most, then the person gives up
# The baseline polls as the skill did before its turn had a deadline: for 4 s from the final utterance, then "still
# searching"; kept so that its figures compare across runs.
BASELINE_BUDGET_S = 4.0
START_SPREAD_S = 10.0  # people start within the first 10 s (realistic), not all at the same instant

# The speaking-time model (realistic seconds).
ALEXA_WORDS_PER_S = 2.7  # about 160 words a minute, Alexa's default speaking rate
USER_WORDS_PER_S = 2.5  # about 150 words a minute, conversational speech
USER_START_S = 0.3  # drawing breath before the first word
REACTION_MEDIAN_S = 0.7  # between the end of Alexa's question and the start of the answer
REACTION_SIGMA = 0.5
REACTION_RANGE_S = (0.25, 3.0)
CHECK_UTTERANCE = "are my results ready"

# Which string of the skill is the question before an utterance, and which slot Alexa is eliciting then.
PROMPTS = {
    "welcome": ("WELCOME", None),
    "date": ("ASK_DATE", "pickupDate"),
    "size": ("ASK_SIZE", "carSize"),
    "company": ("ASK_COMPANY", "company"),
    "which_company": ("ASK_WHICH_COMPANY", "company"),
    "still_searching": ("RESULTS_NOT_READY_ANY", None),
}

# Cities as people say them, with their share of conversations: big markets (all nine suppliers, the slowest
# about 11 s) most, then tier-2 cities (seven suppliers, 10 s) and tier-3 ones (six, 6 s).
CITIES = (
    (("New York", "Los Angeles", "Chicago", "Houston", "Seattle", "Denver", "Boston", "Miami", "Atlanta",
      "Dallas", "San Francisco", "Las Vegas", "Orlando", "Phoenix", "Nashville", "Austin"), 0.6),
    (("San Antonio", "Indianapolis", "Pittsburgh", "Sacramento", "Raleigh", "Cincinnati", "Memphis",
      "Albuquerque"), 0.25),
    (("El Paso", "Omaha", "Tulsa", "Fresno", "Wichita", "Bakersfield"), 0.15),
)  # fmt: skip
DATES = ("next weekend", "this weekend", "tomorrow", "on friday", "next friday", "on saturday", "next monday",
         "the day after tomorrow", "in two weeks")  # fmt: skip
# (code, answer to "what size", in a sentence, weight)
SIZES = (
    ("compact", "a small car", "compact car", 20),
    ("compact", "compact", "compact car", 8),
    ("economy", "economy", "economy car", 12),
    ("midsize", "a midsize car", "midsize car", 14),
    ("fullsize", "a full size car", "full size car", 8),
    ("suv", "an SUV", "SUV", 16),
    ("minivan", "a minivan", "minivan", 6),
    ("luxury", "a luxury car", "luxury car", 4),
    ("any", "it doesn't matter", None, 12),
)
# (code, weight); "any" is said in ANY_PHRASES. Sixt only in the big markets, Dollar and Thrifty not in tier 3.
COMPANIES = (("enterprise", 20), ("hertz", 15), ("avis", 12), ("budget", 10), ("national", 8), ("alamo", 8),
             ("sixt", 4), ("dollar", 3), ("thrifty", 3), ("any", 25))  # fmt: skip
COMPANY_NAMES = {code: code.capitalize() for code, _ in COMPANIES if code != "any"}  # "Enterprise", as said
ANY_PHRASES = ("no preference", "it doesn't matter", "any company", "whoever is cheapest")
# (variant, weight): how the conversation goes.
VARIANTS = (("workshop", 30), ("open_first", 15), ("city_then_date", 10), ("size_first", 10), ("one_shot", 15),
            ("no_to_company", 10), ("yes_to_company", 10))  # fmt: skip


@dataclass(frozen=True)
class Step:
    said: str
    answers: str | None  # the PROMPTS key of the question it answers; None for the first utterance
    pause_s: float  # realistic seconds between the end of the previous answer and the end of this utterance


@dataclass(frozen=True)
class Script:
    index: int
    variant: str
    city: str
    tier: int
    company: str  # code or "any"
    steps: tuple[Step, ...]  # the last one asks for the results
    check_pauses_s: tuple[float, ...]  # before each "are my results ready"

    @property
    def before_last_s(self) -> float:
        """From the end of the first utterance to the end of the last, answers aside."""
        return sum(step.pause_s for step in self.steps[1:])


class SpeakingTime:
    def __init__(self, strings: dict[str, list[str]]) -> None:
        placeholder = re.compile(r"\{[^{}]*\}")
        self.prompt_words = {
            prompt: statistics.mean(len(placeholder.sub("x x", text).split()) for text in strings[key])
            for prompt, (key, _) in PROMPTS.items()
        }

    def pause(self, prompt: str, said: str, rng: random.Random) -> float:
        low, high = REACTION_RANGE_S
        reaction = min(max(rng.lognormvariate(math.log(REACTION_MEDIAN_S), REACTION_SIGMA), low), high)
        listening = self.prompt_words[prompt] / ALEXA_WORDS_PER_S
        return listening + reaction + USER_START_S + len(said.split()) / USER_WORDS_PER_S


def make_scripts(count: int, seed: int) -> list[Script]:
    """`count` conversations, the same for the same seed."""
    from search_service.domain.cities import CityCatalog
    from search_service.domain.fleet import suppliers_in

    catalog = CityCatalog()
    speaking = SpeakingTime(json.loads(STRINGS.read_text(encoding="utf-8")))
    rng = random.Random(seed)
    scripts = []
    for index in range(count):
        names, _ = rng.choices(CITIES, weights=[share for _, share in CITIES])[0]
        city = rng.choice(names)
        tier = _tier(catalog, city)
        serving = {supplier.code for supplier in suppliers_in(tier)}
        companies = [(code, weight) for code, weight in COMPANIES if code == "any" or code in serving]
        company = rng.choices([c for c, _ in companies], weights=[w for _, w in companies])[0]
        variant = rng.choices([v for v, _ in VARIANTS], weights=[w for _, w in VARIANTS])[0]
        when = rng.choice(DATES)
        size = rng.choices(SIZES, weights=[s[3] for s in SIZES])[0]
        if variant in ("one_shot", "size_first") and size[2] is None:  # said in a sentence: a size, not "any"
            size = SIZES[0]
        if variant == "one_shot" and company == "any":
            company = "enterprise"
        if variant == "no_to_company":
            company = "any"
        if variant == "yes_to_company" and company == "any":
            company = "hertz"
        company_said = COMPANY_NAMES.get(company) or rng.choice(ANY_PHRASES)
        in_sentence = f"{'an' if size[2] and size[2][0] in 'aeiouAEIOU' else 'a'} {size[2]}"
        lines: list[tuple[str, str | None]]
        if variant == "workshop":
            lines = [(f"ask car search to find a car in {city} {when}", None), (size[1], "size"),
                     (company_said, "company")]  # fmt: skip
        elif variant == "open_first":
            lines = [("open car search", None), (f"I need a car in {city} {when}", "welcome"), (size[1], "size"),
                     (company_said, "company")]  # fmt: skip
        elif variant == "city_then_date":
            lines = [("open car search", None), (f"I need a car in {city}", "welcome"), (when, "date"),
                     (size[1], "size"), (company_said, "company")]  # fmt: skip
        elif variant == "size_first":
            lines = [(f"ask car search to find {in_sentence} in {city} {when}", None), (company_said, "company")]
        elif variant == "one_shot":
            lines = [(f"ask car search to find {in_sentence} from {company_said} in {city} {when}", None)]
        elif variant == "no_to_company":
            lines = [(f"ask car search to find a car in {city} {when}", None), (size[1], "size"), ("no", "company")]
        else:  # yes_to_company
            lines = [(f"ask car search to find a car in {city} {when}", None), (size[1], "size"),
                     ("yes", "company"), (company_said, "which_company")]  # fmt: skip
        steps = tuple(
            Step(said, prompt, 0.0 if prompt is None else speaking.pause(prompt, said, rng)) for said, prompt in lines
        )
        checks = tuple(speaking.pause("still_searching", CHECK_UTTERANCE, rng) for _ in range(MAX_CHECKS))
        scripts.append(Script(index, variant, city, tier, company, steps, checks))
    return scripts


def _tier(catalog: Any, name: str) -> int:
    for city in catalog.cities:
        if city.name.lower() == name.lower():
            return int(city.tier)
    raise ValueError(f"{name} is not in the city catalog")


# --- the stacks, one process each -------------------------------------------------------------------------------


class LagProbe:
    """How late a 10 ms sleep wakes up: the wait for the GIL (and the CPU) that every thread of the process sees."""

    def __init__(self, period_s: float = 0.01) -> None:
        self.period_s = period_s
        self.lags_ms: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lag-probe", daemon=True)

    def start(self) -> LagProbe:
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(2)
        return _rounded(percentiles(self.lags_ms or [0.0], (50, 95, 99)) | {"max": max(self.lags_ms, default=0.0)}, 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            time.sleep(self.period_s)
            self.lags_ms.append((time.perf_counter() - started - self.period_s) * 1000)


def serve_stack() -> None:
    """The child process (`python -c ...` with StackOptions as JSON): a LocalStack, its addresses on stdout as one
    JSON line; from "measure" on stdin to "stop" (or the end of stdin), its CPU use and lag as another line."""
    import logging

    import bench  # noqa: F401 - the benchmarks' environment (fake credentials, Powertools quiet) first
    from bench.harness import offline
    from local_stack.log_stream import logs_to

    offline()
    # The Lambdas' logs and metric lines, and those of the stack's own child processes, which follow this
    # process's stdout when it is a file: a temporary one, removed at the end.
    descriptor, log = tempfile.mkstemp(prefix="bench-stack-", suffix=".log")
    os.close(descriptor)
    out = logs_to(log)
    logging.basicConfig(stream=sys.stderr, level=logging.ERROR, format="stack: %(levelname)s %(name)s %(message)s")
    # The Lambdas log at INFO, as in make serve (and Lambda): their lines are part of the stack's work, and the run's
    # audit reads them. The search runtime, a child, takes the level from the environment.
    from search_service.observability import logger

    os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO"
    logger.setLevel(logging.INFO)
    from local_stack.stack import LocalStack, StackOptions

    def say(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    stack = LocalStack(StackOptions(**json.loads(sys.argv[1])))
    try:
        stack.start()
    except Exception as error:
        say({"error": f"{type(error).__name__}: {error}"})
        os.unlink(log)
        return
    say({"skill_url": stack.skill_url, "api_url": stack.api_url, "progressive_endpoint": stack.progressive_endpoint,
         "access_token": stack.access_token})  # fmt: skip
    sys.stdin.readline()  # measure from now
    probe = LagProbe().start()
    cpu, wall = tree_cpu_s(), time.perf_counter()
    sys.stdin.readline()  # stop
    cpu, wall = tree_cpu_s() - cpu, time.perf_counter() - wall
    lag = probe.stop()
    api_5xx = sum(count for status, count in stack.api.answered.counts().items() if status >= 500)
    stack.stop(grace_s=0.5)
    logged = audit(Path(log))
    with contextlib.suppress(OSError):
        os.unlink(log)
    say({"cpu_s": round(cpu, 1), "wall_s": round(wall, 1), "cpu_share": round(cpu / wall, 2), "lag_ms": lag,
         "api_5xx": api_5xx, "log": logged})  # fmt: skip
    os._exit(0)  # a search still asleep in a supplier thread would hold the interpreter's exit


def tree_cpu_s() -> float:
    """CPU seconds used so far by this process and its descendants (the stack's embedded S3 and search runtime
    run in child processes), from /proc; this process's own where /proc is missing."""
    try:
        parents: dict[int, int] = {}
        ticks: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                    parents[int(entry)], ticks[int(entry)] = int(fields[1]), int(fields[11]) + int(fields[12])
    except OSError:
        return time.process_time()
    tree, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    return sum(ticks.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


class StackProcess:
    """A local stack in a process of its own, so that it has a GIL of its own."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.info: dict[str, Any] = {}
        self.stats: dict[str, Any] = {}
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> StackProcess:
        return self.launch().ready()

    def launch(self) -> StackProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from bench.conversations import serve_stack; serve_stack()",
                json.dumps(self.options),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def ready(self) -> StackProcess:
        self.info = self._read(60)
        if "error" in self.info:
            raise RuntimeError(f"the local stack did not start: {self.info['error']}")
        return self

    def measure(self) -> None:
        self._send("measure")

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            try:
                self._send("stop")
                self.stats = self._read(30)
            except (OSError, RuntimeError):
                pass
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self._process = None

    def _send(self, line: str) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()

    def _read(self, timeout_s: float) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], timeout_s)
        line = self._process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the local stack's process did not answer within {timeout_s:.0f} s")
        return dict(json.loads(line))


@contextmanager
def stack_processes(count: int, options: dict[str, Any]) -> Iterator[list[StackProcess]]:
    """`count` local stacks, started side by side, stopped however the block ends."""
    stacks = [StackProcess(options) for _ in range(count)]
    try:
        for stack in stacks:
            stack.launch()
        yield [stack.ready() for stack in stacks]
    finally:
        for stack in stacks:
            stack.stop()


# --- the people -----------------------------------------------------------------------------------------------


@dataclass
class Played:
    """One conversation as one person lived it; durations in realistic seconds."""

    index: int
    design: str
    turns_s: list[float] = field(default_factory=list)  # every skill turn's response time
    question_turns_ms: list[float] = field(default_factory=list)  # turns before the last, unscaled
    final_wait_s: float | None = None
    checks: int = 0  # "still searching" answers before the offer
    # offer; no_match (the skill offers something else); failures: api_down, search_failed, gave_up, error, other
    outcome: str = "offer"
    detail: str = ""
    searched: str | None = None  # "city|pickup|return" of the search, to check that both designs searched alike
    # Ours, to find the physical limit afterwards (Limit below): when the final utterance ended (wall clock, as the
    # stack's answeredAt), the search and its filters as the skill had them, and the price the person heard.
    asked_wall: float | None = None
    api_url: str | None = None
    token: str | None = None
    user: str | None = None
    size: str | None = None
    company: str | None = None
    heard_price: float | None = None
    limit_s: float | None = None  # the physical limit (realistic seconds), filled in after the run
    any_company: dict[str, Any] | None = None  # for "any company": the alternatives' waits and prices


# Which of the skill's strings each kind of final answer is.
ANSWER_KINDS = {
    "offer": ("OFFER", "OFFER_SO_FAR"),
    "no_match": ("NO_MATCH_SAME_SIZE", "NO_MATCH_SAME_COMPANY", "NO_MATCH_CHEAPEST", "NO_COUNTER", "NO_CARS"),
    "still_searching": ("RESULTS_NOT_READY", "RESULTS_NOT_READY_ANY"),
    "api_down": ("API_DOWN",),
    "search_failed": ("SEARCH_FAILED",),
}


class Answers:
    """Which of the skill's lines an answer is, from the skill's own en-US strings."""

    def __init__(self, strings: dict[str, list[str]]) -> None:
        placeholder = re.compile(r"\{[^{}]*\}")
        self._patterns = [
            (kind, re.compile(".+?".join(re.escape(part) for part in placeholder.split(template))))
            for kind, keys in ANSWER_KINDS.items()
            for key in keys
            for template in strings[key]
        ]

    def kind(self, speech: str | None) -> str:
        return next((kind for kind, pattern in self._patterns if pattern.match(speech or "")), "other")


class Ours:
    """A person talking to the skill over HTTP, as `make chat` does."""

    def __init__(self, stack: dict[str, Any], models: Any, scale: float, answers: Answers) -> None:
        self._stack = stack
        self._models = models
        self._scale = scale
        self._answers = answers

    def play(self, script: Script) -> Played:
        from skill.responses import pseudonym

        from local_stack.chat import Chat
        from local_stack.envelopes import Device

        scale = self._scale
        played = Played(script.index, "ours")
        device = Device(
            self._stack["progressive_endpoint"],
            self._stack["access_token"],
            user_id=f"amzn1.ask.account.BENCH{script.index:05d}",
        )
        chat = Chat(self._stack["skill_url"], self._models, device)
        last = len(script.steps) - 1
        asked_at = 0.0
        turn = None
        for number, step in enumerate(script.steps):
            if number:
                time.sleep(step.pause_s * scale)
            asked_at, played.asked_wall = time.perf_counter(), time.time()
            turn = chat.say(step.said)
            if not self._answered(turn, played, step.said):
                return played
            if number < last:
                played.question_turns_ms.append(turn.skill_ms)
        assert turn is not None
        while (kind := self._answers.kind(turn.speech)) == "still_searching":
            if played.checks == MAX_CHECKS:
                played.outcome, played.detail = "gave_up", turn.speech or ""
                return played
            time.sleep(script.check_pauses_s[played.checks] * scale)
            played.checks += 1
            turn = chat.say(CHECK_UTTERANCE)
            if not self._answered(turn, played, CHECK_UTTERANCE):
                return played
        trip = device.attributes.get("trip") or {}
        played.searched = trip.get("searched")
        played.outcome, played.detail = kind, turn.speech or ""
        if kind in ("offer", "no_match"):
            played.final_wait_s = (time.perf_counter() - asked_at) / scale
            played.token, played.size, played.company = trip.get("token"), trip.get("size"), trip.get("company")
            played.user, played.api_url = pseudonym(device.user_id), self._stack["api_url"]
            price = re.search(r"\$([\d,]+\.\d\d)", turn.card or "")  # the card's first line is the offer heard
            played.heard_price = float(price.group(1).replace(",", "")) if price and kind == "offer" else None
        return played

    def _answered(self, turn: Any, played: Played, said: str) -> bool:
        """Whether the conversation can go on: the skill answered, and not with an apology."""
        if turn.request_type is None:
            played.outcome, played.detail = "error", f"not understood: {said!r}"
            return False
        played.turns_s.append(turn.skill_ms / 1000 / self._scale)
        if turn.error:
            played.outcome, played.detail = "error", f"{said!r}: {turn.error}"
            return False
        if turn.session_ended:
            played.outcome, played.detail = "error", f"{said!r}: the session ended: {turn.speech}"
            return False
        if (kind := self._answers.kind(turn.speech)) in ("api_down", "search_failed"):
            played.outcome, played.detail = kind, f"{said!r}: {turn.speech}"
            return False
        return True


@dataclass(frozen=True)
class Query:
    """What the skill would search for and filter on, from the script's words as the NLU understands them."""

    city: str
    pickup: date
    dropoff: date
    size: str | None
    company: str | None


def baseline_query(script: Script, models: Any) -> Query:
    """The trip a skill builds from these words: the slots the NLU fills, the dates as the skill resolves them."""
    from local_stack import skill_importable
    from local_stack.nlu import understand

    skill_importable()
    from skill.trip_dates import TripProblem, resolve_trip

    model = models.get("en-US")
    slots: dict[str, str] = {}
    for step in script.steps:
        slot = PROMPTS[step.answers][1] if step.answers else None
        elicited = ("FindCarIntent", slot) if slot else None
        understood = understand(step.said, model, date.today(), elicited)
        if understood.intent == "AMAZON.NoIntent":
            slots["company"] = "any"
        for name, value in understood.slots.items():
            slots[name] = value.matches[0][0] if value.matches else value.value
    skill_today = datetime.now(UTC).astimezone(ZoneInfo("Pacific/Honolulu")).date()
    dates = resolve_trip(slots.get("pickupDate"), slots.get("returnDate"), slots.get("duration"), skill_today)
    if isinstance(dates, TripProblem) or "city" not in slots:
        raise ValueError(f"script {script.index} does not make a trip: {[s.said for s in script.steps]}")
    return Query(slots["city"], dates.pickup_date, dates.return_date, slots.get("carSize"), slots.get("company"))


class Baseline:
    """A person talking to a naive skill that starts the search only at the last turn; its timing is the skill's
    (SkillSettings), scaled as the local stack scales the skill's."""

    def __init__(self, stack: dict[str, Any], scale: float, settings: Any) -> None:
        self._stack = stack
        self._scale = scale
        self._budget_s = BASELINE_BUDGET_S * scale
        self._poll_s = settings.poll_interval_s * scale
        self._timeouts_s = (settings.connect_timeout_s * scale, settings.read_timeout_s * scale)
        self._local = threading.local()

    def play(self, script: Script, query: Query) -> Played:
        from skill.search_client import Rejected, SearchGone, SearchUnavailable

        scale = self._scale
        played = Played(script.index, "baseline")
        client = self._client()
        user = f"baseline-{script.index:05d}"
        # The earlier turns: the same pauses; the naive skill answers them without the search API.
        time.sleep(script.before_last_s * scale)
        asked_at = time.perf_counter()
        try:
            started = client.start(query.city, query.pickup, query.dropoff, user, f"baseline-{script.index}")
            if isinstance(started, Rejected):
                played.outcome, played.detail = "error", f"rejected: {started.problems}"
                return played
            played.searched = f"{started.city}|{started.pickup_date.isoformat()}|{started.return_date.isoformat()}"
            turn_started = asked_at
            while True:
                found = self._wait(client, started.token, user, query, turn_started)
                played.turns_s.append((time.perf_counter() - turn_started) / scale)
                if found.ready:
                    break
                if played.checks == MAX_CHECKS:
                    played.outcome = "gave_up"
                    return played
                time.sleep(script.check_pauses_s[played.checks] * scale)
                played.checks += 1
                turn_started = time.perf_counter()
        except (SearchGone, SearchUnavailable) as error:
            played.outcome, played.detail = "error", f"{type(error).__name__}: {error}"
            return played
        if found.status == "failed":
            played.outcome = "search_failed"
            return played
        played.final_wait_s = (time.perf_counter() - asked_at) / scale
        played.outcome = "offer" if found.offers else "no_match"
        return played

    def _wait(self, client: Any, token: str, user: str, query: Query, turn_started: float) -> Any:
        """Dialog._wait_for_results: poll until complete or failed, or until the budget is spent."""
        while True:
            found = client.results(token, user, query.size, query.company, limit=5)
            if found.status in ("complete", "failed"):
                return found
            if time.perf_counter() - turn_started + self._poll_s > self._budget_s:
                return found
            time.sleep(self._poll_s)

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            from skill.search_client import SearchClient

            from local_stack.iam_auth import local_role

            client = self._local.client = SearchClient(
                self._stack["api_url"], local_role, "us-east-1", *self._timeouts_s
            )
        return client


# --- the physical limit -----------------------------------------------------------------------------------------


def fill_limits(played: list[Played], scale: float) -> None:
    """For each conversation of ours that ended in an answer, the physical limit: the time from the final utterance
    until the answer that decides the offer was stored (the chosen company's; for any company, the cheapest
    offer's), zero if it was there already. Read after the run from the search API, once each search is complete:
    its suppliers' answeredAt, and every offer that matches the filters. For any company, also what answering at
    once with the first offers, or waiting for the full list, would have meant."""
    for p in played:
        if p.token is None or p.asked_wall is None or p.api_url is None or p.user is None:
            continue
        body = _complete_results(p.api_url, p.token, p.user, p.size, p.company)
        if body is None:
            continue
        answered = {s["supplier"]: datetime.fromisoformat(s["answeredAt"]).timestamp()
                    for s in body["suppliers"] if s.get("answeredAt")}  # fmt: skip

        def after(moment: float, asked: float = p.asked_wall) -> float:
            return max(0.0, moment - asked) / scale

        offers = body["offers"]
        company = p.company if p.company and p.company != "any" else None
        if company and company in answered:
            p.limit_s = after(answered[company])
        elif offers and offers[0]["supplier"] in answered:
            p.limit_s = after(answered[offers[0]["supplier"]])
        elif answered:
            p.limit_s = after(max(answered.values()))
        if company is None and offers and p.outcome == "offer":
            cheapest: dict[str, float] = {}
            for offer in offers:
                cheapest[offer["supplier"]] = min(cheapest.get(offer["supplier"], math.inf), offer["totalPrice"])
            best = min(cheapest.values())
            first = min(answered[code] for code in cheapest if code in answered)
            at_first = min(price for code, price in cheapest.items() if answered.get(code, math.inf) <= first)
            p.any_company = {
                "heard_dearer": p.heard_price is not None and p.heard_price > best + 0.005,
                "first_offer_s": after(first),
                "first_offer_dearer": at_first > best + 0.005,
                "full_list_s": after(max(answered.values())),
            }


def _complete_results(
    api_url: str, token: str, user: str, size: str | None, company: str | None
) -> dict[str, Any] | None:
    """GET /search with the skill's filters, every offer, once the search is complete (or failed); None if it never
    is within a minute."""
    import urllib.request
    from urllib.parse import urlencode

    from tests.builders.signing import signed

    query = {"Limit": "500"}
    if size and size != "any":
        query["CarSize"] = size
    if company and company != "any":
        query["Supplier"] = company
    url = f"{api_url}/search?{urlencode(query)}"
    ends = time.monotonic() + 60
    while time.monotonic() < ends:
        headers = signed("GET", url, None, {"Search-Token": token, "Search-User": user})  # signed anew: each is dated
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body: dict[str, Any] = json.loads(response.read())
        except OSError:  # urllib's HTTPError (404, 410) and URLError are OSErrors: no limit for this one
            return None
        if body["status"] in ("complete", "failed"):
            return body
        time.sleep(0.5)
    return None


# --- the run --------------------------------------------------------------------------------------------------


def run(
    users: int = DEFAULT_USERS,
    conversations: int = DEFAULT_CONVERSATIONS,
    time_scale: float = DEFAULT_TIME_SCALE,
    seed: int = DEFAULT_SEED,
    stacks: int = DEFAULT_STACKS,
    progress: Callable[[str], None] | None = None,
    quote_cache_s: int = 0,
) -> dict[str, Any]:
    """Both designs at once: `users` people each, on `stacks` local stacks each (person n on stack n % stacks).
    `quote_cache_s`: the search service's quote cache (0: off, the headline run)."""
    from local_stack import skill_importable
    from local_stack.interaction_model import ModelStore
    from tools.skill_models import MODELS_DIR

    skill_importable()
    from skill.config import SkillSettings

    skill_settings = SkillSettings()
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))
    scripts = make_scripts(conversations, seed)
    models = ModelStore(MODELS_DIR)
    queries = [baseline_query(script, models) for script in scripts]
    options = {"skill_port": 0, "api_port": 0, "latency_scale": time_scale, "skill_time_scale": time_scale,
               "quote_cache_s": quote_cache_s}  # fmt: skip
    load_before = os.getloadavg()[0]
    with stack_processes(stacks, options) as ours_stacks, stack_processes(stacks, options) as baseline_stacks:
        for stack in ours_stacks + baseline_stacks:
            _warm_up(stack.info, models)
        answers = Answers(strings)
        ours = [Ours(stack.info, models, time_scale, answers) for stack in ours_stacks]
        baseline = [Baseline(stack.info, time_scale, skill_settings) for stack in baseline_stacks]
        ours_played: list[Played | None] = [None] * conversations
        baseline_played: list[Played | None] = [None] * conversations
        probe = LagProbe().start()
        for stack in ours_stacks + baseline_stacks:
            stack.measure()
        started = time.perf_counter()
        threads = _people(users, time_scale, scripts, lambda n, s: ours[n % stacks].play(s), ours_played, "ours")
        threads += _people(
            users,
            time_scale,
            scripts,
            lambda n, s: baseline[n % stacks].play(s, queries[s.index]),
            baseline_played,
            "baseline",
        )
        _join(threads, conversations, ours_played, baseline_played, progress, started)
        wall_s = time.perf_counter() - started
        client_lag = probe.stop()
        load_after = os.getloadavg()[0]
        fill_limits([p for p in ours_played if p is not None], time_scale)
    return _report(
        quote_cache_s,
        scripts,
        [p for p in ours_played if p is not None],
        [p for p in baseline_played if p is not None],
        users=users,
        time_scale=time_scale,
        seed=seed,
        wall_s=wall_s,
        stacks={"ours": [s.stats for s in ours_stacks], "baseline": [s.stats for s in baseline_stacks]},
        client_lag=client_lag,
        speaking=SpeakingTime(strings),
        load=(load_before, load_after),
    )


def _warm_up(stack: dict[str, Any], models: Any) -> None:
    """One untimed skill turn and one start and read of the API, so that the first person does not pay for lazy
    imports and first clients."""
    from skill.search_client import SearchClient

    from local_stack.chat import Chat
    from local_stack.envelopes import Device
    from local_stack.iam_auth import local_role

    chat = Chat(stack["skill_url"], models, Device(stack["progressive_endpoint"], stack["access_token"]))
    turn = chat.say("ask car search to find a car in Boston tomorrow")
    if turn.error:
        raise RuntimeError(f"the skill failed its warm-up turn: {turn.error}")
    client = SearchClient(stack["api_url"], local_role)
    pickup = date.today() + timedelta(days=7)
    started = client.start("Boston", pickup, pickup + timedelta(days=2), "warm-up", "warm-up")
    client.results(getattr(started, "token", ""), "warm-up")


def _people(
    users: int,
    scale: float,
    scripts: list[Script],
    play: Callable[[int, Script], Played],
    played: list[Played | None],
    design: str,
) -> list[threading.Thread]:
    """`users` threads, each holding one conversation after another, the next script from the shared list."""
    counter = itertools.count()

    def person(number: int) -> None:
        time.sleep(START_SPREAD_S * number / users * scale)
        while (index := next(counter)) < len(scripts):
            try:
                played[index] = play(number, scripts[index])
            except Exception as error:  # a bug of the benchmark or the stack: recorded, shown, not fatal
                played[index] = Played(index, design, outcome="error", detail=f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=person, args=(n,), name=f"{design}-{n}", daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    return threads


def _join(
    threads: list[threading.Thread],
    total: int,
    ours: list[Played | None],
    baseline: list[Played | None],
    progress: Callable[[str], None] | None,
    started: float,
) -> None:
    for thread in threads:
        while thread.is_alive():
            thread.join(10)
            if progress is not None and thread.is_alive():
                done = sum(p is not None for p in ours), sum(p is not None for p in baseline)
                progress(
                    f"  {time.perf_counter() - started:.0f} s: {done[0]}/{total} conversations (ours), "
                    f"{done[1]}/{total} (baseline)"
                )


def _report(
    quote_cache_s: int,
    scripts: list[Script],
    ours: list[Played],
    baseline: list[Played],
    *,
    users: int,
    time_scale: float,
    seed: int,
    wall_s: float,
    stacks: dict[str, Any],
    client_lag: dict[str, float],
    speaking: SpeakingTime,
    load: tuple[float, float],
) -> dict[str, Any]:
    def design(played: list[Played]) -> dict[str, Any]:
        waits = [p.final_wait_s for p in played if p.final_wait_s is not None]
        turns = [t for p in played for t in p.turns_s]
        problems = [p for p in played if p.outcome not in ("offer", "no_match")]
        return {
            "conversations": len(played),
            "final_turn_wait_s": _rounded(
                percentiles(waits, (50, 95, 99)) | {"max": max(waits), "mean": statistics.fmean(waits)}
            )
            if waits
            else None,
            "turn_response_s": _rounded(percentiles(turns, (50, 95, 99)) | {"max": max(turns)}) if turns else None,
            "turns": len(turns),
            "turns_over_8s": sum(t > ALEXA_LIMIT_S for t in turns),
            "still_searching_share": round(sum(p.checks > 0 for p in played) / max(len(played), 1), 3),
            "still_searching_turns": sum(p.checks for p in played),
            "outcomes": dict(Counter(p.outcome for p in played)),
            # the first of each kind of failure
            "problems": [
                f"#{p.index} {p.outcome}: {p.detail}"[:300] for p in {p.outcome: p for p in reversed(problems)}.values()
            ],
        }

    result_ours, result_baseline = design(ours), design(baseline)
    result_ours |= _limits(ours)
    ratio = {}
    if result_ours["final_turn_wait_s"] and result_baseline["final_turn_wait_s"]:
        for key in ("p50", "p95", "p99", "mean"):
            ratio[key] = round(result_baseline["final_turn_wait_s"][key] / result_ours["final_turn_wait_s"][key], 1)
    by_index = {p.index: p for p in baseline}
    mismatches = sum(
        1 for p in ours if p.searched and by_index.get(p.index) and by_index[p.index].searched not in (None, p.searched)
    )
    question_ms = [t for p in ours for t in p.question_turns_ms]
    by_variant: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[tuple[Played, Played | None]]] = defaultdict(list)
    for p in ours:
        groups[scripts[p.index].variant].append((p, by_index.get(p.index)))
    for variant, pairs in sorted(groups.items()):
        o = [p.final_wait_s for p, _ in pairs if p.final_wait_s is not None]
        b = [q.final_wait_s for _, q in pairs if q is not None and q.final_wait_s is not None]
        by_variant[variant] = {
            "conversations": len(pairs),
            "final_turn_wait_p50_s": round(statistics.median(o), 2) if o else None,
            "baseline_final_turn_wait_p50_s": round(statistics.median(b), 2) if b else None,
            "still_searching_share": round(sum(p.checks > 0 for p, _ in pairs) / len(pairs), 3),
        }
    pauses = [step.pause_s for script in scripts for step in script.steps[1:]]
    logs = [s["log"] for s in stacks["ours"] if s and s.get("log")]
    hits, misses = sum(log.get("quote_hits", 0) for log in logs), sum(log.get("quote_misses", 0) for log in logs)
    return {
        "quote_cache_s": quote_cache_s,
        "quote_hit_rate": round(hits / (hits + misses), 3) if hits + misses else None,
        "users": users,
        "conversations": len(scripts),
        "stacks_per_design": len(stacks["ours"]),
        "time_scale": time_scale,
        "seed": seed,
        "wall_s": round(wall_s, 1),
        "ours": result_ours,
        "baseline": result_baseline,
        "ratio_baseline_over_ours": ratio,
        "query_mismatches": mismatches,
        "question_turn_ms": _rounded(percentiles(question_ms, (50, 95)), 1) if question_ms else None,
        "by_variant": by_variant,
        "pause_s": _rounded(percentiles(pauses, (5, 50, 95))),
        "head_start_s": _rounded(percentiles([s.before_last_s for s in scripts], (5, 50, 95))),
        "speaking_model": {
            "alexa_words_per_s": ALEXA_WORDS_PER_S,
            "user_words_per_s": USER_WORDS_PER_S,
            "user_start_s": USER_START_S,
            "reaction_median_s": REACTION_MEDIAN_S,
            "reaction_sigma": REACTION_SIGMA,
            "reaction_range_s": list(REACTION_RANGE_S),
            "prompt_words": {k: round(v, 1) for k, v in speaking.prompt_words.items()},
        },
        "stacks": stacks,
        "client_lag_ms": client_lag,
        "load_average": [round(value, 2) for value in load],  # 1-minute, before and after: others' work shows
        "samples": {  # for the chart; not written to latest.json
            "ours_final_wait_s": [p.final_wait_s for p in ours if p.final_wait_s is not None],
            "ours_wait_and_limit_s": [
                (scripts[p.index].variant, p.company, p.final_wait_s, p.limit_s, p.checks)
                for p in ours
                if p.final_wait_s is not None
            ],
            "baseline_final_wait_s": [p.final_wait_s for p in baseline if p.final_wait_s is not None],
            "ours_turn_s": [t for p in ours for t in p.turns_s],
            "baseline_turn_s": [t for p in baseline for t in p.turns_s],
        },
    }


def _limits(played: list[Played]) -> dict[str, Any]:
    """The final-turn wait beside the physical limit, over the conversations that have both; for any company, how
    often the person heard a dearer car than the search found in the end, and what the two other ways of answering
    (at once with the first offers, or only with the full list) would have given."""
    pairs = [(p.final_wait_s, p.limit_s) for p in played if p.final_wait_s is not None and p.limit_s is not None]
    if not pairs:
        return {"final_turn_limit_s": None}
    waits = percentiles([w for w, _ in pairs], (50, 95, 99))
    limits = percentiles([limit for _, limit in pairs], (50, 95, 99))
    anys = [p for p in played if p.any_company is not None]
    result: dict[str, Any] = {
        "final_turn_limit_s": _rounded(limits),
        "final_turn_wait_with_limit_s": _rounded(waits),
        "wait_over_limit": {key: round(waits[key] / limits[key], 2) if limits[key] else None for key in ("p95", "p99")},
        "limited_conversations": len(pairs),
    }
    if anys:
        facts = [p.any_company for p in anys if p.any_company is not None]
        result["any_company"] = {
            "conversations": len(anys),
            "wait_s": _rounded(percentiles([p.final_wait_s or 0.0 for p in anys], (50, 95, 99))),
            "heard_dearer": round(statistics.fmean(f["heard_dearer"] for f in facts), 3),
            "at_first_offer_s": _rounded(percentiles([f["first_offer_s"] for f in facts], (50, 95, 99))),
            "at_first_offer_dearer": round(statistics.fmean(f["first_offer_dearer"] for f in facts), 3),
            "full_list_s": _rounded(percentiles([f["full_list_s"] for f in facts], (50, 95, 99))),
        }
    return result


def _rounded(values: dict[str, float], digits: int = 3) -> dict[str, float]:
    return {key: round(value, digits) for key, value in values.items()}
