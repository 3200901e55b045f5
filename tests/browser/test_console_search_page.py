"""The console's search timeline and workshop helpers in headless Chromium, as a participant uses them: the seed
conversation typed in the box, the search's companies watched on the page, the conversation saved as a replay and
played by make chat, the model reloaded and the companies' pace changed from the page."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.browser.console_page import ConsolePage, expect
from tests.builders.serve_process import ROOT
from tests.builders.today import MONDAY
from tests.builders.waiting import PATIENCE_S

SEED = ["ask car search to find a car in New York next weekend", "A small car", "Enterprise"]
DOLLARS = re.compile(r"(\d+) dollars")


def test_the_timeline_shows_every_company_answer_and_the_turns_said_meanwhile(console: ConsolePage) -> None:
    console.say(SEED[0])
    search = console.page.locator('article.search[data-search="1"]')
    expect(search.get_by_role("heading")).to_contain_text("New York, NY")
    expect(search).to_contain_text(f"turn 1: “{SEED[0]}”")  # the 202 came from the first utterance
    companies = search.locator("li.company")
    expect(companies.first).to_be_visible()
    asked = companies.count()
    assert asked >= 5, asked
    console.say(SEED[1])
    console.say(SEED[2])
    # Each company asked is on the timeline once, with its time, and the search ends complete
    expect(search).to_have_attribute("data-over", "true")
    expect(search.locator(".search-status")).to_contain_text("complete")
    expect(companies).to_have_count(asked)
    expect(search.locator('li.company[data-status="searching"]')).to_have_count(0)
    for row in companies.all():
        expect(row.locator(".when")).to_have_text(re.compile(r"^\d+\.\d\d s$"))
        expect(row.locator(".what")).to_have_text(re.compile(r"^\d+ offers|^failed"))
    # The questions the skill asked while they searched are on it too
    marks = search.locator("li.turn-mark")
    expect(marks).to_have_count(2)
    expect(search.locator('li.turn-mark[data-turn="2"] .what')).to_have_text(f"you: “{SEED[1]}”")
    expect(search.locator('li.turn-mark[data-turn="3"] .what')).to_have_text(f"you: “{SEED[2]}”")
    # And the dialog ends on the offer
    expect(console.said("alexa").last).to_contain_text("Enterprise")
    console.screenshot("timeline")
    assert console.page_errors == [] and console.dialogs == []


def test_a_conversation_saved_from_the_page_plays_through_make_chat_to_the_same_offer(
    console: ConsolePage, tmp_path: Path
) -> None:
    save = console.page.get_by_role("link", name="Save as replay")
    expect(save).to_be_hidden()  # nothing to save before the first turn
    for text in SEED:
        console.say(text)
    offer = console.said("alexa").last.text_content() or ""
    assert "Enterprise" in offer
    with console.page.expect_download() as downloading:
        save.click()
    download = downloading.value
    assert re.fullmatch(r"car-search-\d{8}-\d{6}-[a-z0-9-]+\.json", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert json.loads(saved.read_text())["userInput"] == [*SEED, ".quit"]

    # make chat REPLAY=<file> runs exactly this (the Makefile's chat target), on the console's day
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": "0"}
    env["CAR_SEARCH_TODAY"] = MONDAY.isoformat()
    env.pop("CONSOLE_PORT", None)
    played = subprocess.run(
        [sys.executable, "-m", "local_stack", "chat", "--replay", str(saved), "--log", str(tmp_path / "log")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=PATIENCE_S * 4, check=False,
    )  # fmt: skip
    assert played.returncode == 0, played.stdout + played.stderr
    spoken = [line.removeprefix("Alexa: ") for line in played.stdout.splitlines() if line.startswith("Alexa: ")]
    assert len(spoken) == len(SEED), played.stdout
    # The skill picks its wording among variants; the offer (company, car, prices) is the same.
    assert "Enterprise" in spoken[-1] and "compact car" in spoken[-1]
    assert DOLLARS.findall(spoken[-1]) == DOLLARS.findall(offer) != []


def test_the_model_reload_and_the_companies_pace_are_set_from_the_page(console: ConsolePage) -> None:
    page = console.page
    page.get_by_role("button", name="Reload model").click()
    expect(page.locator("#model-status")).to_contain_text(re.compile(r"Model en-US.*\d+ intents"))
    page.get_by_label("Companies answer at").select_option("0")
    expect(page.locator("#latency-status")).to_contain_text("searches started from now on")
    # The stack took it: the console's own API reports the pace in force
    info = page.request.get(console.console_url + "api/info").json()
    assert info["latency_scale"] == 0
    console.say(SEED[0])
    search = page.locator('article.search[data-search="1"]')
    expect(search).to_have_attribute("data-over", "true")
    expect(search.locator('li.company[data-status="searching"]')).to_have_count(0)
    assert console.page_errors == []
