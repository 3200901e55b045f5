"""The composition root of the skill: handlers in dispatch order, the catch-all, the interceptors."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import datetime

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill_builder import CustomSkillBuilder

from skill.config import SkillSettings
from skill.deadline import Arrivals
from skill.dialog import Caller, Dialog
from skill.handlers.about import CarSizesIntentHandler, CompaniesIntentHandler
from skill.handlers.answers import NoIntentHandler, YesIntentHandler
from skill.handlers.errors import CatchAllExceptionHandler
from skill.handlers.exit import StopIntentHandler, ThanksIntentHandler
from skill.handlers.fallback import FallbackIntentHandler
from skill.handlers.find_car import FindCarIntentHandler
from skill.handlers.help import HelpIntentHandler
from skill.handlers.launch import LaunchRequestHandler
from skill.handlers.offers import (
    BookIntentHandler,
    CheaperIntentHandler,
    PreviousIntentHandler,
    PriceIntentHandler,
    SendToPhoneIntentHandler,
)
from skill.handlers.repeat import RepeatIntentHandler
from skill.handlers.results import CheckResultsIntentHandler, NextIntentHandler
from skill.handlers.session_ended import SessionEndedRequestHandler
from skill.handlers.start_over import StartOverIntentHandler
from skill.interceptors import LogRequestInterceptor
from skill.last_trip import KeepLastTrip, RecallLastTrip
from skill.progressive import ProgressiveResponder
from skill.search_client import SearchClient
from skill.strings import Strings


def build_skill(
    search: SearchClient,
    settings: SkillSettings,
    logger: logging.Logger | None = None,
    progressive: ProgressiveResponder | None = None,
    now: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    store: AbstractPersistenceAdapter | None = None,
    init_started: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CustomSkillBuilder:
    """`store`: where the user's last trip is kept between sessions (skill.trip_store.s3_store); None keeps nothing.
    `init_started`: the clock's time when the Lambda's init began, which its first request waited for (skill.deadline).
    """
    responder = progressive or ProgressiveResponder()

    def tell(caller: Caller, ssml: str, within_s: float) -> object:
        return responder.send(caller.api_endpoint, caller.api_access_token, caller.request_id, ssml, within_s)

    def dialogs(locale: str) -> Dialog:
        return Dialog(
            search,
            Strings(locale),
            tell,
            settings.deadline_s,
            settings.poll_interval_s,
            now,
            sleep,
            rng,
            settings.max_rental_days,
            clock,
        )

    builder = CustomSkillBuilder() if store is None else CustomSkillBuilder(persistence_adapter=store)
    builder.skill_id = settings.skill_id  # type: ignore[assignment]  # the SDK sets None in __init__, so mypy types it None
    for handler in (
        LaunchRequestHandler(dialogs),
        FindCarIntentHandler(dialogs),
        YesIntentHandler(dialogs),
        NoIntentHandler(dialogs),
        CheckResultsIntentHandler(dialogs),
        NextIntentHandler(dialogs),
        PreviousIntentHandler(dialogs),
        PriceIntentHandler(dialogs),
        CheaperIntentHandler(dialogs),
        SendToPhoneIntentHandler(dialogs),
        BookIntentHandler(dialogs),
        CompaniesIntentHandler(dialogs),
        CarSizesIntentHandler(dialogs),
        ThanksIntentHandler(dialogs),
        HelpIntentHandler(dialogs),
        RepeatIntentHandler(dialogs),
        StartOverIntentHandler(dialogs),
        StopIntentHandler(dialogs),
        FallbackIntentHandler(dialogs),
        SessionEndedRequestHandler(),
    ):
        builder.add_request_handler(handler)
    builder.add_exception_handler(CatchAllExceptionHandler(dialogs))
    builder.add_global_request_interceptor(Arrivals(init_started, clock))  # first: the turn's clock starts here
    builder.add_global_request_interceptor(LogRequestInterceptor(logger))
    if store is not None:
        builder.add_global_request_interceptor(RecallLastTrip(now))
        worst_call_s = settings.store_connect_timeout_s + settings.store_read_timeout_s
        builder.add_global_response_interceptor(KeepLastTrip(worst_call_s, settings.deadline_s, clock))
    return builder
