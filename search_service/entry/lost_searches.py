"""The lost-search function: marks failed each search whose async run Lambda gave up on (its retries spent, or the
event too old), from the records of the run function's on-failure destination queue. Without it a lost search
would read as pending until its deadline; marked failed, the next GET says so at once.

Powertools' BatchProcessor runs each record on its own: a record that raises is the only one reported back
(`batchItemFailures`, the event source's ReportBatchItemFailures), so SQS redelivers it alone, whatever it
raised, and the batch's other records are done.

A search with a callbackUrl then sends search.failed (or search.completed, if a company answered before the run was
lost), as its run would have: search_service/domain/lost.py.

With the template's Handover: queue, the search queue's redrive policy moves a message whose runs all raised to the
same queue, as it is: a search event rather than Lambda's invocation record. Both mean the same lost search."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from search_service.adapters.events import InvocationContext, LostSearchRecord, RunSearchEvent
from search_service.config import Settings
from search_service.domain.errors import CacheUnavailable
from search_service.domain.lost import MarkLost
from search_service.domain.ports import CallbackQueue
from search_service.entry.events import Kind, kind_of, refused
from search_service.observability import Handler, Telemetry
from search_service.wiring import Services, aws_services, callback_queue, long_lived, outbox

SERVES = "marks lost searches failed from SQS batches of the lost-search queue"
LOST_SEARCH = "The search could not be run."


def build_handler(services: Services, callbacks: CallbackQueue | None = None) -> Handler:
    """`callbacks`: the delivery queue a lost search's callback event goes to."""
    telemetry = Telemetry()
    mark_lost = MarkLost(services.cache, LOST_SEARCH, outbox(services, callbacks))
    logger, metrics = telemetry.logger, telemetry.metrics
    # A batch whose every record failed (S3 down) is answered like any other, every record listed, rather than
    # raised: SQS redelivers the same records either way, and the log gets one warning per record, not a traceback.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def mark_failed(record: SQSRecord) -> None:
        lost = _lost_search(record)
        if lost is None:
            # Retrying cannot fix it: dropped (reported as done), and kept out of the dead-letter queue.
            logger.error("not a lost-search record", extra={"message_id": record.message_id})
            metrics.add_metric(name="EventRejected", unit=MetricUnit.Count, value=1)
            return
        search = lost.request_payload.search_id
        try:
            mark_lost(search)
        except Exception as error:
            # Raised again: this record alone goes back to the queue. S3 being down is expected now and then; anything
            # else is a bug, logged with its traceback.
            unexpected = not isinstance(error, CacheUnavailable)
            logger.warning(
                "could not mark a lost search failed",
                extra={"search_id": search, "error": str(error)},
                exc_info=unexpected,
            )
            raise
        logger.error(
            "search lost",
            extra={
                "search_id": search,
                "condition": lost.request_context.condition,
                "attempts": lost.request_context.approximate_invoke_count,
            },
        )
        metrics.add_metric(name="SearchLost", unit=MetricUnit.Count, value=1)

    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if kind_of(event) is not Kind.SQS_BATCH:
            raise refused(event, SERVES, telemetry)
        answer = process_partial_response(event=event, record_handler=mark_failed, processor=processor, context=context)
        if answer["batchItemFailures"]:
            metrics.add_metric(name="LostSearchUnmarked", unit=MetricUnit.Count, value=len(answer["batchItemFailures"]))
        return dict(answer)

    return handler


def _lost_search(record: SQSRecord) -> LostSearchRecord | None:
    """The record of a lost search: Lambda's invocation record (Handover: invoke), or the search queue's message
    itself, moved here by its redrive policy after its last receive (Handover: queue), told as one."""
    body = record.body or ""
    try:
        return LostSearchRecord.model_validate_json(body)
    except ValidationError:
        pass
    try:
        event = RunSearchEvent.model_validate_json(body)
    except ValidationError:
        return None
    # How many runs it had is the search queue's maxReceiveCount: SQS does not carry the count over.
    exhausted = InvocationContext(condition="QueueReceivesExhausted")
    return LostSearchRecord(request_context=exhausted, request_payload=event)


def _from_environment() -> Handler:
    settings = Settings.from_env()
    return build_handler(aws_services(settings), callback_queue(settings))


lambda_handler = long_lived(_from_environment)
