"""The run function: runs one search from the start Lambda's async event, or from the search queue's messages (the
template's Handover: queue), caching each supplier's answer as it lands.

It holds the reserved concurrency (one execution per search for up to the slowest supplier's 12 s) and the async
invoke's retry and on-failure destination; docs/deploy.md sizes POST /search's throttle from it. A queued message
holds the same event; the run's stale rule (domain.run: a search past its deadline is skipped) applies to it alike,
however long it waited in the queue. A run that raises is reported back (partial batch response), so SQS delivers
that message again and, after the queue's maxReceiveCount, moves it to the lost-search queue."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from search_service.adapters.events import RunSearchEvent
from search_service.config import Settings
from search_service.domain.ports import CallbackQueue, PushChannel
from search_service.domain.run import RunReport
from search_service.entry.events import Kind, kind_of, refused
from search_service.observability import Handler, Telemetry, tracer
from search_service.wiring import Services, aws_services, callback_queue, long_lived, push_channel, run_search

SERVES = "runs searches from the start Lambda's async events and the search queue's messages"


def build_handler(
    services: Services, callbacks: CallbackQueue | None = None, push: PushChannel | None = None
) -> Handler:
    """`callbacks`: the queue the events of searches with a callbackUrl go to; `push`: where the events for the
    searches' WebSocket subscribers are posted."""
    telemetry = Telemetry()
    logger, metrics = telemetry.logger, telemetry.metrics
    run = run_search(services, callbacks, push)

    def run_one(job: RunSearchEvent, context: Any) -> dict[str, Any]:
        telemetry.correlate(job.search_id)
        budget_s = context.get_remaining_time_in_millis() / 1000 if context else None
        with tracer().provider.in_subsegment("## run_search") as segment:
            report = run(job.search_id, budget_s)
            segment.put_annotation("search_id", job.search_id)
        return _reported(report, telemetry)

    def rejected(keys: list[str]) -> dict[str, Any]:
        # Retrying cannot fix a malformed event, so it is logged and dropped, not raised.
        logger.error("not a search event", extra={"keys": keys})
        metrics.add_metric(name="EventRejected", unit=MetricUnit.Count, value=1)
        return {"status": "ignored", "reason": "not a search event"}

    def queued(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # Imported with the first batch: with Handover: invoke the function never pays for it.
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
        from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

        def run_record(record: SQSRecord) -> None:
            try:
                job = RunSearchEvent.model_validate_json(record.body or "")
            except ValidationError:
                rejected([f"message {record.message_id}"])
                return
            sent_ms = record.attributes.sent_timestamp
            if sent_ms:  # how long it waited for a free execution: the queue's buffering, seen per search
                waited_s = services.clock.now().timestamp() - int(sent_ms) / 1000
                metrics.add_metric(name="HandoverDelay", unit=MetricUnit.Seconds, value=round(max(0.0, waited_s), 3))
            run_one(job, context)  # what it raises goes back as this message's failure

        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        return dict(process_partial_response(event=event, record_handler=run_record, processor=processor,
                                             context=context))  # fmt: skip

    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        kind = kind_of(event)
        if kind is Kind.SQS_BATCH:
            if any(_is_invocation_record(record) for record in event["Records"]):
                raise refused(event, SERVES, telemetry)  # the lost-search queue's: wired to the wrong function
            return queued(event, context)
        if kind is not Kind.OTHER:
            raise refused(event, SERVES, telemetry)
        try:
            job = RunSearchEvent.model_validate(event)
        except ValidationError:
            return rejected(sorted(event)[:10])
        return run_one(job, context)

    return handler


def _is_invocation_record(record: Any) -> bool:
    """Lambda's record of a lost async invoke, which only the lost-search queue holds."""
    try:
        body = json.loads(record.get("body") or "")
    except (AttributeError, ValueError):
        return False
    return isinstance(body, dict) and "requestPayload" in body


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


def _from_environment() -> Handler:
    import botocore.session

    settings = Settings.from_env()
    session = botocore.session.get_session()
    return build_handler(
        aws_services(settings, session=session), callback_queue(settings, session), push_channel(settings, session)
    )


lambda_handler = long_lived(_from_environment)
