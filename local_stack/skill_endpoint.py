"""The skill's Lambda handler served over HTTP, and Alexa's Progressive Response API played on the same port.

- `POST /` takes an Alexa request envelope and answers the response envelope, as a skill hosted as a web
  service does, so other Alexa simulators and test tools can drive it. With a `RequestVerifier`, Alexa's
  signature and timestamp are checked first (off by default locally; on when this sits behind a real HTTPS
  endpoint). With a `skill_id`, a request addressed to another skill gets a 400 before the skill runs, as Amazon
  requires of a skill hosted as a web service. A body that is not a JSON request envelope gets a 400 with the
  reason; the skill's own errors are answered by the skill's catch-all handler, as in Lambda.
- `POST /v1/directives` is the Progressive Response API: the envelopes the local stack builds point
  `context.System.apiEndpoint` here with a local `apiAccessToken`, so nothing is ever sent to Amazon. Each
  directive is handed to `on_progressive` (the chat prints it before the answer, as Alexa would say it).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local_stack import skill_importable
from local_stack.http_server import JsonHandler, LocalServer
from local_stack.iam_auth import local_role

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Progressive = Callable[[str, str], None]  # (requestId, ssml)


def skill_handler(
    search_api_url: str,
    time_scale: float = 1.0,
    now: Callable[[], datetime] | None = None,
    s3_endpoint_url: str | None = None,
    results_bucket: str = "car-search-results",
    trips_prefix: str = "results/trips/",
    skill_id: str | None = None,
) -> Handler:
    """The same handler that lambda_function.py exports in AWS, configured for the local API, on the stack's
    clock (`now`: the system clock when None, as in Lambda). With `s3_endpoint_url` (the embedded S3), the user's
    last trip is kept there between sessions, under `trips_prefix` of `results_bucket`, by the same store as in AWS.
    With `skill_id` (SKILL_ID, as in AWS), the skill refuses requests for any other skill.

    `time_scale` multiplies all of the skill's own timing (its turn's deadline and its poll interval on the last turn,
    its HTTP connect and read timeouts, its trip store's), as SUPPLIER_LATENCY_SCALE does the suppliers' latency, so
    that a benchmark can play time faster and a turn's worst case (its 7 s deadline) stays within Alexa's 8 s once
    divided back by the scale; 1 is the skill as deployed.
    """
    skill_importable()
    from skill.builder import build_skill
    from skill.config import SkillSettings
    from skill.search_client import SearchClient
    from skill.trip_store import s3_store

    env = {"SEARCH_API_URL": search_api_url}
    if skill_id:
        env["SKILL_ID"] = skill_id
    if s3_endpoint_url:
        env |= {"RESULTS_BUCKET": results_bucket, "TRIPS_PREFIX": trips_prefix, "AWS_ENDPOINT_URL_S3": s3_endpoint_url}
    settings = SkillSettings.from_env(env)
    if time_scale != 1.0:
        timings = ("deadline_s", "poll_interval_s", "connect_timeout_s", "read_timeout_s",
                   "store_connect_timeout_s", "store_read_timeout_s")  # fmt: skip
        settings = settings._replace(**{name: getattr(settings, name) * time_scale for name in timings})
    # The skill's role here: the search API's gateway checks its signatures as API Gateway checks the role's in AWS,
    # and the embedded S3 takes them. They also keep the process's own credentials, if any, out of the local stack.
    local = local_role()
    search = SearchClient(settings.search_api_url, lambda: local, settings.region, settings.connect_timeout_s,
                          settings.read_timeout_s)  # fmt: skip
    # The SDK's annotation of lambda_handler() says the event is a str; it is the envelope's dict (it json.dumps it).
    store = s3_store(settings, lambda: local, now)
    handler: Handler = build_skill(search, settings, now=now, store=store).lambda_handler()  # type: ignore[assignment]
    return handler


def start_skill_endpoint(
    handler: Handler,
    access_token: str,
    on_progressive: Progressive,
    port: int = 0,
    verifier: Any = None,
    skill_id: str | None = None,
) -> LocalServer:
    token = f"Bearer {access_token}".encode()

    class SkillEndpoint(JsonHandler):
        max_body = 128 * 1024  # Alexa's requests are a few KB

        def do_POST(self) -> None:
            body = self.read_body()
            if body is None:
                return
            path = self.path.split("?", 1)[0]
            if path == "/v1/directives":
                self._progressive(body)
            elif path == "/":
                self._skill(body)
            else:
                self.respond(404, {"message": f"nothing at {path}: POST Alexa requests to /"})

        def do_GET(self) -> None:
            self.respond(405, {"message": "POST an Alexa request envelope to /"}, {"Allow": "POST"})

        def _skill(self, body: bytes) -> None:
            if verifier is not None:
                from local_stack.verify import VerificationError

                try:
                    verifier.verify(dict(self.headers), body)
                except VerificationError as error:
                    self.respond(400, {"message": f"request verification failed: {error}"})
                    return
            problem, envelope = _envelope(body)
            if problem:
                self.respond(400, {"message": problem})
                return
            if skill_id is not None and not addressed_to(envelope, skill_id):
                self.respond(400, {"message": "the request is for another skill: its applicationId is not SKILL_ID"})
                return
            try:
                response = handler(envelope, None)
            except Exception as error:  # the SDK refused the envelope before any handler of ours ran
                log.warning("skill refused the request: %s", type(error).__name__)
                self.respond(400, {"message": f"the skill could not handle this request: {type(error).__name__}"})
                return
            self.respond(200, response)

        def _progressive(self, body: bytes) -> None:
            if not hmac.compare_digest((self.headers.get("Authorization") or "").encode(), token):
                self.respond(401, {"code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"})
                return
            try:
                directive = json.loads(body)
                request_id = directive["header"]["requestId"]
                speech = directive["directive"]["speech"]
                assert directive["directive"]["type"] == "VoicePlayer.Speak" and isinstance(speech, str)
            except (ValueError, KeyError, TypeError, AssertionError):
                self.respond(400, {"code": "INVALID_DIRECTIVE", "message": "expected a VoicePlayer.Speak directive"})
                return
            on_progressive(str(request_id), speech)
            self.respond(204, None)

    server = LocalServer(SkillEndpoint, port)
    server.start()
    return server


def _envelope(body: bytes) -> tuple[str | None, dict[str, Any]]:
    try:
        envelope = json.loads(body)
    except RecursionError:
        return "the body is nested too deeply: POST an Alexa request envelope", {}
    except ValueError:
        return "the body is not JSON: POST an Alexa request envelope", {}
    if not isinstance(envelope, dict):
        return "the body is not a JSON object: POST an Alexa request envelope", {}
    request = envelope.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("type"), str):
        return "the envelope has no request.type: POST an Alexa request envelope", {}
    if not isinstance(envelope.get("context", {}), dict) or not isinstance(envelope.get("session", {}), dict):
        return "the envelope's context and session must be objects", {}
    return None, envelope


def addressed_to(envelope: dict[str, Any], skill_id: str) -> bool:
    """Whether the request names `skill_id` as its application: every applicationId it carries (the context's, and the
    session's when it has one) is that id, and there is at least one. Alexa puts the same id in both."""
    system = envelope.get("context", {}).get("System")
    holders = [system, envelope.get("session")]
    named = [
        holder["application"].get("applicationId")
        for holder in holders
        if isinstance(holder, dict) and isinstance(holder.get("application"), dict)
    ]
    return bool(named) and all(application_id == skill_id for application_id in named)
