"""The run function: runs one search from the start Lambda's async event, caching each supplier's answer as it lands.

It holds the reserved concurrency (one execution per search for up to the slowest supplier's 12 s) and the async
invoke's retry and on-failure destination; docs/deploy.md sizes POST /search's throttle from it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from search_service.adapters.events import RunSearchEvent
from search_service.config import Settings
from search_service.domain.run import RunReport
from search_service.entry.events import Kind, kind_of, refused
from search_service.observability import Handler, Telemetry, tracer
from search_service.wiring import Services, aws_services, long_lived, run_search

SERVES = "runs searches from the start Lambda's async events"


def build_handler(services: Services) -> Handler:
    telemetry = Telemetry()
    logger, metrics = telemetry.logger, telemetry.metrics
    run = run_search(services)

    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if kind_of(event) is not Kind.OTHER:
            raise refused(event, SERVES, telemetry)
        try:
            job = RunSearchEvent.model_validate(event)
        except ValidationError:
            # Retrying cannot fix a malformed event, so it is logged and dropped, not raised.
            logger.error("not a search event", extra={"keys": sorted(event)[:10]})
            metrics.add_metric(name="EventRejected", unit=MetricUnit.Count, value=1)
            return {"status": "ignored", "reason": "not a search event"}
        telemetry.correlate(job.search_id)
        budget_s = context.get_remaining_time_in_millis() / 1000 if context else None
        with tracer().provider.in_subsegment("## run_search") as segment:
            report = run(job.search_id, budget_s)
            segment.put_annotation("search_id", job.search_id)
        return _reported(report, telemetry)

    return handler


def _reported(report: RunReport, telemetry: Telemetry) -> dict[str, Any]:
    """The run's metrics and its one log line; what the invocation returns (read by tests and the local stack)."""
    logger, metrics = telemetry.logger, telemetry.metrics
    if report.was_cancelled:
        # Where a run ends cancelled (DELETE /search): before it asked anyone, or with answers dropped.
        logger.info("search cancelled", extra={"not_kept": report.cancelled, "completed": report.completed})
        metrics.add_metric(name="RunCancelled", unit=MetricUnit.Count, value=1)
    if report.skipped:
        logger.info("search skipped", extra={"reason": report.skipped})
        metrics.add_metric(name="SearchSkipped", unit=MetricUnit.Count, value=1)
        return {"status": "skipped", "reason": report.skipped}
    metrics.add_metric(name="SearchCompleted" if report.completed else "SearchFailed", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="SupplierFailed", unit=MetricUnit.Count, value=len(report.failed))
    metrics.add_metric(name="SearchDuration", unit=MetricUnit.Seconds, value=round(report.duration_s, 3))
    metrics.add_metric(name="OffersFound", unit=MetricUnit.Count, value=report.offers)
    if report.quote_hits or report.quote_misses:  # the quote cache is on
        metrics.add_metric(name="QuoteCacheHit", unit=MetricUnit.Count, value=report.quote_hits)
        metrics.add_metric(name="QuoteCacheMiss", unit=MetricUnit.Count, value=report.quote_misses)
    logger.info(
        "search finished",
        extra={
            "completed": report.completed,
            "failed": report.failed,
            "offers": report.offers,
            "duration_s": round(report.duration_s, 3),
            "supplier_latency_s": round(report.supplier_latency_s, 3),
            "quote_hits": report.quote_hits,
            "quote_misses": report.quote_misses,
        },
    )
    answer: dict[str, Any] = {
        "status": "done",
        "completed": report.completed,
        "failed": report.failed,
        "offers": report.offers,
    }
    if report.cancelled:
        answer["cancelled"] = report.cancelled
    return answer


lambda_handler = long_lived(lambda: build_handler(aws_services(Settings.from_env())))
