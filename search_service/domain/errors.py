"""What can go wrong, in the domain's words; the API layer maps each to a status code once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str
    code: str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)  # `field` is the attribute above


class InvalidRequest(Exception):
    """The request cannot be served as asked; each problem names its field and what to do."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


class SearchNotFound(Exception):
    """No search for this token and user: unknown, forged, or another user's token."""


class SearchExpired(Exception):
    def __init__(self, max_age_s: int) -> None:
        super().__init__(f"results older than {max_age_s} s")
        self.max_age_s = max_age_s


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different search."""


class CacheUnavailable(Exception):
    """The results store could not be reached or refused the request."""


class LaunchFailed(Exception):
    """The search could not be handed to the search Lambda."""


class SupplierError(Exception):
    """A supplier's system answered with an error."""


class SupplierTimeout(SupplierError):
    """A supplier did not answer within its time limit."""


class SearchFinished(Exception):
    """A cancel came after the search had ended (complete or failed): there is nothing left to stop."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the search is already {status}")
        self.status = status
