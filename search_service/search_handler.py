"""The search Lambda, with the design's two jobs: run a search from the start Lambda's async event and
cache each supplier's answer, and serve GET /search from that cache."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from search_service.api.errors import too_large
from search_service.config import Settings
from search_service.domain.models import RunSearchEvent
from search_service.observability import logger, metrics, tracer
from search_service.wiring import Services, aws_services, run_search, search_app

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def build_handler(services: Services) -> Handler:
    app = search_app(services)
    run = run_search(services)

    def run_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            job = RunSearchEvent.model_validate(event)
        except ValidationError:
            # Retrying cannot fix a malformed event, so it is logged and dropped, not raised.
            logger.error("not a search event", extra={"keys": sorted(event)[:10]})
            metrics.add_metric(name="EventRejected", unit=MetricUnit.Count, value=1)
            return {"status": "ignored", "reason": "not a search event"}
        logger.set_correlation_id(job.search_id)
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
        logger.info(
            "search finished",
            extra={
                "completed": report.completed,
                "failed": report.failed,
                "offers": report.offers,
                "duration_s": round(report.duration_s, 3),
                "supplier_latency_s": round(report.supplier_latency_s, 3),
            },
        )
        return {
            "status": "done",
            "completed": report.completed,
            "failed": report.failed,
            "offers": report.offers,
        }

    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if "httpMethod" in event:
            return too_large(event) or app.resolve(event, context)
        return run_job(event, context)

    return handler


lambda_handler = build_handler(aws_services(Settings.from_env()))
# Everything built so far lives as long as the Lambda: keep it out of the garbage collector's full passes,
# which otherwise walk these objects again and again and show up as pauses on warm requests.
gc.freeze()
