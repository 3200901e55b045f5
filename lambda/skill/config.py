"""Every setting the skill reads, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple


class SkillSettings(NamedTuple):  # not a dataclass: see search_client.Problem
    search_api_url: str = "http://127.0.0.1:3000/beta"
    skill_id: str | None = None  # when set, requests for any other skill are refused
    # Every turn answers within this long of the request's arrival (skill.deadline), within the 8 s Alexa allows:
    # the last turn waits for results until then, and every call in a turn (the search's POST, each GET, the
    # progressive response, a retry, a store call) gets a timeout clipped to the time left.
    deadline_s: float = 7.0
    poll_interval_s: float = 0.5
    connect_timeout_s: float = 1.0
    read_timeout_s: float = 2.5
    # The search API's limit on a rental's length, the same variable as its own: the skill refuses a longer rental
    # as soon as it is said, before there is a pickup date to send. The API's refusals carry their own limit.
    max_rental_days: int = 30
    # Where the user's last trip is kept between sessions (skill.trip_store): the search stack's results bucket, under
    # a prefix of its results prefix, so that its one-day lifecycle rule expires the records. No bucket: nothing kept.
    results_bucket: str | None = None
    trips_prefix: str = "results/trips/"
    region: str = "us-east-1"  # Lambda's AWS_REGION: the stacks' SSM parameters make both stacks one region's
    s3_endpoint_url: str | None = None  # another S3 than AWS's (AWS_ENDPOINT_URL_S3, the SDKs' variable): moto
    # S3 answers a small object in tens of milliseconds; a store call that takes longer than these fails, and the turn
    # goes on without it. A save is made only while a call at its slowest (connect + read) still ends by the
    # deadline, else it is left to the next turn.
    store_connect_timeout_s: float = 0.5
    store_read_timeout_s: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SkillSettings:
        defaults = cls()
        verify = env.get("VERIFY_SKILL_ID", "true").strip().lower() not in ("false", "0", "no")
        return cls(
            search_api_url=env.get("SEARCH_API_URL", defaults.search_api_url),
            skill_id=(env.get("SKILL_ID") or None) if verify else None,
            deadline_s=float(env.get("TURN_DEADLINE_SECONDS", defaults.deadline_s)),
            poll_interval_s=float(env.get("POLL_INTERVAL_SECONDS", defaults.poll_interval_s)),
            max_rental_days=int(env.get("MAX_RENTAL_DAYS", defaults.max_rental_days)),
            results_bucket=env.get("RESULTS_BUCKET") or None,
            trips_prefix=env.get("TRIPS_PREFIX") or defaults.trips_prefix,
            region=env.get("AWS_REGION") or defaults.region,
            s3_endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or None,
        )
