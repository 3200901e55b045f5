"""The workshop console in headless Chromium, as a participant uses it: typing, pressing Enter, reading the page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from tests.browser.console_page import ConsolePage, expect
from tests.builders.serve_process import ServedStack, serving

SEED = ["Alexa, ask car search to find a car in New York next weekend", "A small car", "Enterprise"]
HOSTILE = "<img src=x onerror=alert(1)>"


def test_the_seeds_workshop_conversation_ends_on_the_offer_and_its_card(console: ConsolePage) -> None:
    first = console.say(SEED[0])
    expect(first.get_by_role("heading")).to_have_text(f"1. “{SEED[0]}”")
    expect(first).to_contain_text("FindCarIntent")
    expect(first).to_contain_text("Dialog.ElicitSlot")
    expect(console.said("alexa").last).to_contain_text("What size car")
    console.screenshot("first-turn")

    size = console.say(SEED[1])
    expect(size).to_contain_text("compact")  # the slot's value resolved, as the turn shows it
    expect(console.said("alexa").last).to_contain_text("company")

    offer = console.say(SEED[2])
    speech = console.said("alexa").last
    expect(speech).to_contain_text("Enterprise")
    expect(speech).to_contain_text("compact car")
    expect(offer.get_by_label("card")).to_contain_text("Enterprise: compact car")
    expect(console.said("user")).to_have_text(SEED)
    expect(console.error).to_be_hidden()
    console.screenshot("offer")
    assert console.page_errors == [] and console.dialogs == []

    # On a smaller laptop, the whole conversation said: the box and the workshop helpers still show without
    # scrolling the page, each label beside its control.
    console.page.set_viewport_size({"width": 1024, "height": 768})
    page = console.page
    console.screenshot("offer-1024x768")
    for control in (console.input, page.get_by_label("Locale"), page.get_by_role("button", name="Reload model"),
                    page.get_by_label("Companies answer at")):  # fmt: skip
        expect(control).to_be_in_viewport()
    for label, control in (("You say", console.input), ("Locale", page.get_by_label("Locale"))):
        said, box = page.locator("label", has_text=label).bounding_box(), control.bounding_box()
        assert said is not None and box is not None
        assert abs((said["y"] + said["height"] / 2) - (box["y"] + box["height"] / 2)) < box["height"] / 2, label


def test_keyboard_alone_holds_a_conversation_and_starts_a_new_one(console: ConsolePage) -> None:
    keyboard = console.page.keyboard
    expect(console.input).to_be_focused()  # the page opens ready to type
    keyboard.type("open car search")
    keyboard.press("Enter")
    expect(console.turn(1)).to_contain_text("LaunchRequest")
    expect(console.input).to_be_focused()  # focus comes back for the next utterance
    expect(console.input).to_have_value("")

    keyboard.type(SEED[0])
    keyboard.press("Tab")
    expect(console.page.get_by_label("Locale", exact=True)).to_be_focused()
    keyboard.press("Tab")
    expect(console.page.get_by_role("button", name="Say")).to_be_focused()
    keyboard.press("Enter")
    expect(console.turn(2)).to_contain_text("FindCarIntent")
    expect(console.input).to_be_focused()

    for _ in range(3):  # from the box: Locale, Say, New conversation
        keyboard.press("Tab")
    expect(console.page.get_by_role("button", name="New conversation")).to_be_focused()
    keyboard.press("Shift+Tab")
    expect(console.page.get_by_role("button", name="Say")).to_be_focused()
    keyboard.press("Tab")
    console.screenshot("keyboard-focus")
    keyboard.press("Enter")
    expect(console.said("note").last).to_contain_text("a new conversation")
    expect(console.input).to_be_focused()

    keyboard.type("open car search")
    keyboard.press("Enter")
    launched = console.turn(3)
    expect(launched).to_contain_text("LaunchRequest")  # a new session, not a turn of the last one
    # Opened from the keyboard too (a click at a point could miss while the timeline above grows: CI saw it once)
    launched.locator("summary", has_text="request envelope").focus()
    keyboard.press("Enter")
    expect(launched.locator("details[open] pre")).to_contain_text(re.compile(r'"new": true'))
    assert console.page_errors == []


def test_a_hostile_utterance_shows_as_text_and_runs_nothing(console: ConsolePage) -> None:
    said = f"ask car search to find a car in {HOSTILE} next weekend"
    shown = console.say(said)
    expect(console.said("user").last).to_have_text(said)
    expect(shown.get_by_role("heading")).to_have_text(f"1. “{said}”")
    expect(console.page.locator("img")).to_have_count(0)
    expect(console.page.locator("[onerror]")).to_have_count(0)
    expect(console.said("user").last.locator("*")).to_have_count(0)  # a text node: no element was parsed from it
    console.screenshot("hostile")
    assert console.dialogs == [] and console.page_errors == []


def test_the_envelopes_open_and_copy(console: ConsolePage) -> None:
    console.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    turn = console.say(SEED[0])
    for title, field, expected in (("request envelope", "request", "FindCarIntent"),
                                   ("response envelope", "response", "Dialog.ElicitSlot")):  # fmt: skip
        envelope = turn.locator("details", has=console.page.locator("summary", has_text=title))
        expect(envelope).not_to_have_attribute("open", "")
        console.open_by_mouse(envelope)
        shown = envelope.locator("pre")
        expect(shown).to_contain_text(expected)
        envelope.get_by_role("button", name="Copy").click()
        copied = console.page.evaluate("() => navigator.clipboard.readText()")
        assert json.loads(copied) == json.loads(shown.inner_text()) and field in json.loads(copied)
    console.screenshot("envelopes")


def test_a_stopped_stack_is_a_clear_error_and_the_page_recovers_when_it_is_back(
    open_console: Callable[[ServedStack], ConsolePage], tmp_path: Path
) -> None:
    with serving(tmp_path / "first") as first:
        console = open_console(first)
        console.say("open car search")
        assert first.stop() == 0
        console.submit(SEED[0])
        expect(console.error).to_contain_text("The local stack does not answer")
        expect(console.page.locator("#status")).to_contain_text("Not connected")
        expect(console.input).to_be_focused()
        expect(console.turns).to_have_count(1)  # nothing made up for the turn that could not be said
        console.screenshot("stack-down")
    with serving(tmp_path / "again", CONSOLE_PORT=str(first.console_port)):  # the page's own origin
        # The restarted stack has no memory of the page's conversation: the page says so, and what was said opens a
        # new one, answered
        console.say(SEED[0])
        expect(console.said("note").last).to_contain_text("starts a new one")
        expect(console.error).to_be_hidden()
        expect(console.page.locator("#status")).to_contain_text("Connected")
        expect(console.turn(2)).to_contain_text("FindCarIntent")
    assert console.page_errors == []
