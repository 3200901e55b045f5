"""Helpers for the whole-system reliability tests: the local stack on free ports, conversations with it as Alexa
would hold them (text -> interaction model -> Alexa request over HTTP -> the skill -> the search API -> embedded
S3), and the search API's own answers over HTTP."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from http import client as httpc
from typing import Any
from urllib.parse import urlencode, urlsplit

from skill.strings import Strings

from local_stack.chat import SKILL_TIMEOUT_S, Chat
from local_stack.interaction_model import ModelStore
from local_stack.stack import LocalStack
from tests.builders.local_stack import (  # noqa: F401 (for the tests here)
    RETRY_DELAYS_S,
    api_user,
    device,
    embedded_s3,
    running_stack,
    token_of,
)
from tests.builders.signing import signed
from tools.skill_models import MODELS_DIR

MODELS = ModelStore(MODELS_DIR)  # thread-safe, and each locale's model is parsed once for all conversations
STRINGS = Strings("en-US")


def spoken(key: str) -> tuple[str, ...]:
    """Every variant of one of the skill's lines (en-US), for lines without placeholders."""
    return STRINGS.variants(key)


API_DOWN = spoken("API_DOWN")
SEARCH_FAILED = spoken("SEARCH_FAILED")
APOLOGIES = API_DOWN + SEARCH_FAILED + spoken("ERROR")
STORE_DOWN = "The search service cannot reach its results store right now. Please try again in a few seconds."


def conversation(stack: LocalStack, user_id: str | None = None) -> Chat:
    """A conversation as Alexa would hold it, with its own user when `user_id` is given, from a device on the
    stack's clock."""
    talking = device(stack) if user_id is None else device(stack, user_id=user_id)
    chat = Chat(stack.skill_url, MODELS, talking, SKILL_TIMEOUT_S * stack.options.skill_time_scale)
    stack.on_progressive(chat.progressive)
    return chat


class Api:
    """The search API over HTTP/1.1, one kept-alive connection per instance (so one per thread)."""

    def __init__(self, stack: LocalStack, timeout_s: float = 10.0) -> None:
        url = urlsplit(stack.api_url)
        self._base = f"{url.scheme}://{url.netloc}"
        self._path = url.path
        self._connection = httpc.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=timeout_s)

    def post(self, body: dict[str, Any], **headers: str) -> tuple[int, dict[str, str], Any]:
        return self._call("POST", "", json.dumps(body).encode(), {"Content-Type": "application/json", **headers})

    def get(self, token: str, user: str, **query: Any) -> tuple[int, dict[str, str], Any]:
        """As the skill asks: the token and the user in headers."""
        target = "?" + urlencode(query) if query else ""
        return self._call("GET", target, headers={"Search-Token": token, "Search-User": user})

    def close(self) -> None:
        self._connection.close()

    def _call(
        self, method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        path = f"{self._path}/search{target}"
        self._connection.request(method, path, body=body, headers=signed(method, self._base + path, body, headers))
        response = self._connection.getresponse()
        raw = response.read()  # the whole body as Content-Length announced it, or IncompleteRead
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, answer_headers, json.loads(raw) if raw else None


class Launches:
    """Records every search the stack's start Lambda launches, i.e. every search started: the ids of the jobs
    that must end complete or failed. (The bucket also holds jobs never launched, by design: a start that lost
    its Idempotency-Key to an earlier one writes its job first and then answers with the earlier token.)"""

    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack
        self._lock = threading.Lock()
        self.ids: list[str] = []
        launcher = stack.api.launcher
        launch = launcher.launch

        def recorded(search_id: str) -> None:
            try:
                launch(search_id)
            finally:
                with self._lock:
                    self.ids.append(search_id)

        launcher.launch = recorded  # type: ignore[method-assign]  # the start Lambda calls it on this instance

    def unfinished(self) -> list[str]:
        """The launched searches that are neither failed nor answered by every supplier, read from S3."""
        cache = self._stack.api.cache
        with self._lock:
            ids = list(self.ids)

        def ended(search_id: str) -> bool:
            job = cache.load_job(search_id)
            return job is not None and (
                job.status == "failed" or set(job.suppliers) <= cache.finished_suppliers(search_id)
            )

        with ThreadPoolExecutor(8) as pool:
            return [search_id for search_id, done in zip(ids, pool.map(ended, ids), strict=True) if not done]
