"""The local stack's one clock: the skill, both search Lambdas, the search runtime's child process and the chat's
NLU agree on what day it is, and CAR_SEARCH_TODAY moves all of them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local_stack.chat import Chat
from local_stack.clock import StackClock, today_from_env
from local_stack.interaction_model import ModelStore
from search_service.domain.tokens import search_id
from tests.builders.local_stack import api_user, device, running_stack, token_of
from tests.builders.today import MONDAY
from tests.builders.waiting import PATIENCE_S, wait_until
from tests.local_stack.conftest import http
from tools.skill_models import MODELS_DIR

ROOT = Path(__file__).resolve().parents[2]
JSON = {"Content-Type": "application/json"}


def test_unset_the_clock_is_the_real_time() -> None:
    assert abs(StackClock.from_env({}).now() - datetime.now(UTC)) < timedelta(seconds=5)
    assert StackClock.from_env({"CAR_SEARCH_TODAY": "  "}).offset == timedelta(0)


def test_car_search_today_moves_the_clock_to_that_day_and_it_runs_on_from_there() -> None:
    clock = StackClock.from_env({"CAR_SEARCH_TODAY": "2031-02-14"})
    first = clock.now()
    assert first.date().isoformat() == "2031-02-14" and first.tzinfo is UTC
    assert wait_until(lambda: clock.now() > first, PATIENCE_S)


@pytest.mark.parametrize("value", ["tomorrow", "2027-13-01", "14/02/2031"])
def test_a_value_that_is_not_a_date_is_refused_with_what_to_write(value: str) -> None:
    with pytest.raises(ValueError, match=r"is not a date: write it as YYYY-MM-DD"):
        today_from_env({"CAR_SEARCH_TODAY": value})


def test_the_skill_the_nlu_both_lambdas_and_the_search_runtime_read_the_stacks_clock() -> None:
    # GIVEN a stack a year and a bit from the tests' Monday, far from the real date
    moved = MONDAY + timedelta(days=400)
    with running_stack(clock=StackClock.on(moved)) as stack:
        chat = Chat(stack.skill_url, ModelStore(MODELS_DIR), device(stack))
        # WHEN a traveller asks for a car "tomorrow"
        turn = chat.say("ask car search to find a car in Denver tomorrow")
        # THEN the NLU and the skill agree it is the day after the moved today: the search starts, nothing has passed
        assert turn.understood and turn.understood.slots["pickupDate"].value == str(moved + timedelta(days=1))
        assert turn.speech and "size" in turn.speech, turn.speech
        token = token_of(chat)
        assert token is not None
        # AND the start Lambda dated the search, and the search runtime (a child process) each answer, on that day
        cache = stack.api.cache
        job = cache.load_job(search_id(token, api_user(chat)))
        assert job is not None and job.created_at.date() == moved
        assert wait_until(lambda: set(job.suppliers) <= cache.finished_suppliers(job.search_id), PATIENCE_S)
        outcomes = cache.load_outcomes(job.search_id, job.suppliers).values()
        assert {outcome.finished_at.date() for outcome in outcomes} == {moved}


def test_make_serve_honours_car_search_today(tmp_path: Path) -> None:
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "CAR_SEARCH_TODAY": "2031-02-14"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "local_stack", "serve", "--log", str(tmp_path / "log")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        assert serve.stdout.readline().rstrip().endswith("today: 2031-02-14 (CAR_SEARCH_TODAY)")
        api = serve.stdout.readline().split(" api ")[1].split()[0]
        trip = {"city": "Denver", "returnDate": "2031-02-16", "user": "u-1"}
        assert http("POST", api, trip | {"pickupDate": "2031-02-14"}, JSON, sign=True)[0] == 202
        status, refused = http("POST", api, trip | {"pickupDate": "2031-02-13"}, JSON, sign=True)
        assert status == 400 and "The earliest pickup is today, 2031-02-14" in refused["message"]
    finally:
        serve.terminate()
        serve.wait(10)


def test_make_chat_refuses_a_car_search_today_that_is_not_a_date(tmp_path: Path) -> None:
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "CAR_SEARCH_TODAY": "next tuesday"}
    done = subprocess.run(
        [sys.executable, "-m", "local_stack", "chat", "--log", str(tmp_path / "log")],
        cwd=ROOT, env=env, input="", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "CAR_SEARCH_TODAY='next tuesday' is not a date: write it as YYYY-MM-DD" in done.stdout
