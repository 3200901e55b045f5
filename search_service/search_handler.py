"""The search Lambda, with the design's two jobs: run a search from the start Lambda's async event and
cache each supplier's answer, and serve GET /search from that cache. A third, rare one: mark failed the
searches whose async event Lambda gave up on, from the records of its on-failure destination queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from search_service.adapters.events import LostSearchRecord, RunSearchEvent
from search_service.api.errors import too_large
from search_service.config import Settings
from search_service.domain.errors import CacheUnavailable
from search_service.observability import Telemetry, tracer
from search_service.wiring import Services, aws_services, long_lived, run_search, search_app

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
LOST_SEARCH = "The search could not be run."


def build_handler(services: Services) -> Handler:
    telemetry = Telemetry()
    logger, metrics = telemetry.logger, telemetry.metrics
    app = search_app(services, telemetry)
    run = run_search(services)

    def run_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
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
        if report.skipped:
            logger.info("search skipped", extra={"reason": report.skipped})
            metrics.add_metric(name="SearchSkipped", unit=MetricUnit.Count, value=1)
            return {"status": "skipped", "reason": report.skipped}
        metrics.add_metric(
            name="SearchCompleted" if report.completed else "SearchFailed", unit=MetricUnit.Count, value=1
        )
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
        return {
            "status": "done",
            "completed": report.completed,
            "failed": report.failed,
            "offers": report.offers,
        }

    def mark_lost(event: dict[str, Any]) -> dict[str, Any]:
        """An SQS batch from the lost-search queue. Without this, a lost search would look pending until
        its deadline; marked failed, the next GET says so at once."""
        retry: list[dict[str, str]] = []
        for record in event["Records"]:
            try:
                lost = LostSearchRecord.model_validate_json(record.get("body") or "")
            except ValidationError:
                logger.error("not a lost-search record", extra={"message_id": record.get("messageId")})
                metrics.add_metric(name="EventRejected", unit=MetricUnit.Count, value=1)
                continue  # retrying cannot fix it: dropped, and the queue's own DLQ is not needed for it
            search = lost.request_payload.search_id
            try:
                services.cache.mark_failed(search, LOST_SEARCH)
            except CacheUnavailable as error:
                logger.warning("could not mark a lost search failed", extra={"search_id": search, "error": str(error)})
                retry.append({"itemIdentifier": record["messageId"]})
                continue
            logger.error(
                "search lost",
                extra={
                    "search_id": search,
                    "condition": lost.request_context.condition,
                    "attempts": lost.request_context.approximate_invoke_count,
                },
            )
            metrics.add_metric(name="SearchLost", unit=MetricUnit.Count, value=1)
        # Only the records that failed go back to the queue (ReportBatchItemFailures in the template).
        return {"batchItemFailures": retry}

    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if "httpMethod" in event:
            return too_large(event, telemetry) or app.resolve(event, context)
        if "Records" in event:
            return mark_lost(event)
        return run_job(event, context)

    return handler


lambda_handler = long_lived(lambda: build_handler(aws_services(Settings.from_env())))
