"""Logs, metrics and traces for both Lambdas.

Each Lambda instance (each `build_handler` call) gets a `Telemetry` of its own. In Lambda that changes nothing, a
process is one instance serving one request at a time; but the local stack runs many instances in one process,
concurrently, and with Powertools' module-level `Metrics` and `Logger` state they answered with each other's
keys: concurrent flushes raised ("dictionary changed size during iteration", "Must contain at least one metric")
and became 502s, and a third of the log lines carried another request's function name or no correlation id. So:
- metrics are `EphemeralMetrics`, whose batch belongs to the instance that adds to it;
- the logger is one per process (Powertools keys a Logger by its service name), and what belongs to one
  invocation (the Lambda context, the correlation id) is kept with Powertools' thread-safe keys, per thread,
  set and cleared by `Telemetry.lambda_handler`. Use `correlate()` or `logger.thread_safe_append_keys`, never
  `logger.append_keys`, which every instance of the process would share.

The Tracer is created only for the async search job: creating one costs about 100 ms on top of boto3 (the X-Ray
SDK patches botocore), which the HTTP paths, where a person is waiting, do not pay. Their requests still appear in
X-Ray through Lambda's active tracing.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "car-search"))


class Telemetry:
    """One Lambda instance's metrics, and its invocations' log keys."""

    def __init__(self) -> None:
        self.logger = logger
        self.metrics = EphemeralMetrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CarSearch"))
        self._cold = True

    def correlate(self, search_id: str) -> None:
        """From here on, this invocation's log lines carry the search id: both Lambdas' lines for one search join up."""
        self.logger.thread_safe_append_keys(correlation_id=search_id)

    def lambda_handler(self, handler: Handler) -> Handler:
        """What Powertools' `log_metrics` and `inject_lambda_context(clear_state=True)` do, with the invocation's log
        keys on its own thread: the metrics added are flushed as one EMF line at the end, even when it raises."""
        measured = self.metrics.log_metrics(handler)

        @functools.wraps(handler)
        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            cold, self._cold = self._cold, False
            self.logger.thread_safe_clear_keys()
            if context is not None:
                self.logger.thread_safe_append_keys(
                    cold_start=cold,
                    function_name=context.function_name,
                    function_memory_size=context.memory_limit_in_mb,
                    function_arn=context.invoked_function_arn,
                    function_request_id=context.aws_request_id,
                )
            try:
                return measured(event, context)
            finally:
                self.logger.thread_safe_clear_keys()

        return invoke


@cache
def tracer() -> Tracer:
    from aws_lambda_powertools.tracing import Tracer

    return Tracer()
