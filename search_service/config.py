"""Every setting the search Lambdas read, read once from the environment."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from search_service.domain.callbacks import RetryPolicy
from search_service.domain.long_poll import MAX_WAIT_S
from search_service.domain.start import Policy

T = TypeVar("T")

# How the start Lambda hands a search to the search Lambda (the template's Handover parameter): "invoke", Lambda's
# async invoke (pushed, retried by Lambda), or "queue", an SQS message the search Lambda's event source pulls at a
# maximum concurrency. docs/deploy.md, "Buffering spikes: push or pull", has the trade-off.
HANDOVERS = ("invoke", "queue")


@dataclass(frozen=True)
class Settings:
    results_bucket: str = "car-search-results"
    results_prefix: str = "results/"
    search_function_name: str = "car-search-search"
    s3_endpoint_url: str | None = None  # the local stack's embedded S3; unset in AWS
    region: str = "us-east-1"
    result_max_age_s: int = 1800
    search_deadline_s: int = 120
    supplier_timeout_s: float = 15.0
    supplier_latency_scale: float = 1.0
    supplier_failure_rate: float = 0.0
    retry_after_s: int = 2
    # A supplier's answer for the same city and dates serves every search for this long (0: never): see
    # search_service.domain.run.QuoteReuse and docs/deploy.md for what it saves.
    quote_cache_s: int = 600
    max_rental_days: int = 30
    max_days_ahead: int = 330
    # Callbacks (docs/webhooks.md): the delivery queue (unset: POST /search refuses a callbackUrl), where the users'
    # signing secrets are kept, how long a rotated secret still signs, and the attempts. The two allow_ settings are
    # the local stack's (its receivers are on 127.0.0.1 over http); the template never sets them.
    callback_queue_url: str | None = None
    webhook_secrets_prefix: str = "webhook-secrets/"
    webhook_secret_grace_s: int = 86400
    callback_max_attempts: int = 6
    callback_backoff_base_s: float = 20.0
    callback_allow_http: bool = False
    callback_allow_loopback: bool = False
    handover: str = "invoke"  # one of HANDOVERS
    search_queue_url: str | None = None  # the search queue, with handover "queue"
    # GET /search's `Prefer: wait=N` (search_service.domain.long_poll): the longest wait granted (0: no long polls),
    # and how often the results are read again meanwhile.
    long_poll_max_s: int = 20
    long_poll_interval_s: float = 0.5
    # How often, at most, a run reads its cancel marker again before storing an answer (domain.run.CANCEL_RECHECK_S).
    # Not an environment variable: tests set 0 to read it before every answer.
    cancel_recheck_s: float = 0.5
    # The WebSocket API (docs/websocket.md): its stage's management endpoint, where the run posts to the subscribers'
    # connections (unset: nothing is pushed), and the issuer and audience of the tokens its $connect authorizer takes.
    push_endpoint_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def read(
            name: str, parse: Callable[[str], T], default: T, minimum: float | None = None, maximum: float | None = None
        ) -> T:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = parse(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a valid {parse.__name__}") from None
            if not isinstance(value, int | float):  # the checks below are for numbers
                return value
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{name}={raw!r} must be a finite number")
            if minimum is not None and value < minimum:
                raise ValueError(f"{name}={raw!r} must be at least {minimum}")
            if maximum is not None and value > maximum:
                raise ValueError(f"{name}={raw!r} must be at most {maximum}")
            return value

        defaults = cls()
        return cls(
            results_bucket=read("RESULTS_BUCKET", str, defaults.results_bucket),
            results_prefix=read("RESULTS_PREFIX", str, defaults.results_prefix),
            search_function_name=read("SEARCH_FUNCTION_NAME", str, defaults.search_function_name),
            s3_endpoint_url=read("S3_ENDPOINT_URL", str, None),
            region=read("AWS_REGION", str, defaults.region),
            result_max_age_s=read("RESULT_MAX_AGE_SECONDS", int, defaults.result_max_age_s, 1),
            search_deadline_s=read("SEARCH_DEADLINE_SECONDS", int, defaults.search_deadline_s, 1),
            supplier_timeout_s=read("SUPPLIER_TIMEOUT_SECONDS", float, defaults.supplier_timeout_s, 0.1),
            supplier_latency_scale=read("SUPPLIER_LATENCY_SCALE", float, defaults.supplier_latency_scale, 0),
            supplier_failure_rate=read("SUPPLIER_FAILURE_RATE", float, defaults.supplier_failure_rate, 0, 1),
            retry_after_s=read("RETRY_AFTER_SECONDS", int, defaults.retry_after_s, 1),
            quote_cache_s=read("QUOTE_CACHE_SECONDS", int, defaults.quote_cache_s, 0),
            max_rental_days=read("MAX_RENTAL_DAYS", int, defaults.max_rental_days, 1),
            max_days_ahead=read("MAX_DAYS_AHEAD", int, defaults.max_days_ahead, 0),
            callback_queue_url=read("CALLBACK_QUEUE_URL", str, None),
            webhook_secrets_prefix=read("WEBHOOK_SECRETS_PREFIX", str, defaults.webhook_secrets_prefix),
            webhook_secret_grace_s=read("WEBHOOK_SECRET_GRACE_SECONDS", int, defaults.webhook_secret_grace_s, 0),
            callback_max_attempts=read("CALLBACK_MAX_ATTEMPTS", int, defaults.callback_max_attempts, 1, 20),
            callback_backoff_base_s=read("CALLBACK_BACKOFF_SECONDS", float, defaults.callback_backoff_base_s, 1, 900),
            callback_allow_http=read("CALLBACK_ALLOW_HTTP", flag, False),
            callback_allow_loopback=read("CALLBACK_ALLOW_LOOPBACK", flag, False),
            handover=_handover(read("HANDOVER", str, defaults.handover)),
            search_queue_url=read("SEARCH_QUEUE_URL", str, None),
            long_poll_max_s=read("LONG_POLL_MAX_SECONDS", int, defaults.long_poll_max_s, 0, MAX_WAIT_S),
            long_poll_interval_s=read("LONG_POLL_INTERVAL_SECONDS", float, defaults.long_poll_interval_s, 0.05, 5),
            push_endpoint_url=read("PUSH_ENDPOINT_URL", str, None),
            jwt_issuer=read("JWT_ISSUER", str, None),
            jwt_audience=read("JWT_AUDIENCE", str, None),
        )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.callback_max_attempts, base_s=self.callback_backoff_base_s)

    def policy(self) -> Policy:
        return Policy(
            max_rental_days=self.max_rental_days,
            max_days_ahead=self.max_days_ahead,
            result_max_age_s=self.result_max_age_s,
            search_deadline_s=self.search_deadline_s,
        )


def flag(raw: str) -> bool:
    """'true' or 'false' (any case): bool('false') would be True."""
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise ValueError(raw)
    return lowered == "true"


def _handover(raw: str) -> str:
    value = raw.strip().lower()
    if value not in HANDOVERS:
        raise ValueError(f"HANDOVER={raw!r} must be one of {', '.join(HANDOVERS)}")
    return value
