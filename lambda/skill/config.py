"""Every setting the skill reads, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple


class SkillSettings(NamedTuple):  # not a dataclass: see search_client.Problem
    search_api_url: str = "http://127.0.0.1:3000/beta"
    search_api_key: str | None = None
    skill_id: str | None = None  # when set, requests for any other skill are refused
    # The last turn polls for results this long; its last poll may add a connect and a read timeout:
    # 4 + 1 + 2.5 = 7.5 s, within the 8 s Alexa allows.
    results_budget_s: float = 4.0
    poll_interval_s: float = 0.5
    connect_timeout_s: float = 1.0
    read_timeout_s: float = 2.5
    # The search API's limit on a rental's length, the same variable as its own: the skill refuses a longer rental
    # as soon as it is said, before there is a pickup date to send. The API's refusals carry their own limit.
    max_rental_days: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SkillSettings:
        defaults = cls()
        verify = env.get("VERIFY_SKILL_ID", "true").strip().lower() not in ("false", "0", "no")
        return cls(
            search_api_url=env.get("SEARCH_API_URL", defaults.search_api_url),
            search_api_key=env.get("SEARCH_API_KEY") or None,
            skill_id=(env.get("SKILL_ID") or None) if verify else None,
            results_budget_s=float(env.get("RESULTS_BUDGET_SECONDS", defaults.results_budget_s)),
            poll_interval_s=float(env.get("POLL_INTERVAL_SECONDS", defaults.poll_interval_s)),
            max_rental_days=int(env.get("MAX_RENTAL_DAYS", defaults.max_rental_days)),
        )
