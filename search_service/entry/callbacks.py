"""The callback-delivery function: one delivery attempt per record of the callback queue (SQS). It signs the event
with the user's secret(s) (Standard Webhooks), POSTs it to the client's URL through the SSRF-safe transport, records
the outcome where GET /search shows it, and queues the next attempt after an exponential, fully jittered delay
(DelaySeconds) until the attempts run out (search_service.domain.callbacks).

A failed attempt is not a failed record: the next attempt is a new message. A record is reported back
(batchItemFailures) only when the outcome could not be recorded or the next attempt not queued (S3 or SQS down);
SQS then redelivers it, and after five receives moves it to the dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from search_service.adapters.events import CallbackRecord
from search_service.config import Settings
from search_service.domain.models import CallbackMessage
from search_service.domain.ports import CallbackQueue, CallbackTransport, QueueUnavailable
from search_service.entry.events import Kind, kind_of, refused
from search_service.observability import Handler, Telemetry
from search_service.wiring import Services, aws_services, callback_queue, deliver_callback, long_lived

SERVES = "delivers callback events from SQS batches of the callback queue"


def build_handler(services: Services, queue: CallbackQueue, transport: CallbackTransport | None = None) -> Handler:
    telemetry = Telemetry()
    logger, metrics = telemetry.logger, telemetry.metrics
    deliver = deliver_callback(services, queue, transport)
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def attempt(record: SQSRecord) -> None:
        try:
            message = CallbackRecord.model_validate_json(record.body or "").domain()
        except ValidationError:
            # Retrying cannot fix it: dropped (reported as done), and kept out of the dead-letter queue.
            logger.error("not a callback record", extra={"message_id": record.message_id})
            metrics.add_metric(name="EventRejected", unit=MetricUnit.Count, value=1)
            return
        telemetry.correlate(message.search_id)
        done = deliver(message)  # raises when it cannot record or requeue: this record alone goes back
        delivery = done.delivery
        # The URL's host and path are the client's; the log keeps the outcome, not where it went.
        logger.info(
            "callback attempted",
            extra={
                "event_type": delivery.event_type,
                "event_id": delivery.event_id,
                "state": delivery.state,
                "attempt": message.attempt,
                "status_code": delivery.last_status,
                "error": delivery.last_error,
                "retry_in_s": done.retry_in_s,
            },
        )
        outcome = {"delivered": "CallbackDelivered", "failed": "CallbackFailed"}.get(delivery.state, "CallbackRetried")
        metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)

    @telemetry.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if kind_of(event) is not Kind.SQS_BATCH:
            raise refused(event, SERVES, telemetry)
        answer = process_partial_response(event=event, record_handler=attempt, processor=processor, context=context)
        return dict(answer)

    return handler


def _from_environment() -> Handler:
    import botocore.session

    settings = Settings.from_env()
    session = botocore.session.get_session()
    return build_handler(aws_services(settings, session=session), callback_queue(settings, session) or _Unset())


class _Unset:
    """No CALLBACK_QUEUE_URL (a template that forgot it): a retry cannot be queued, so its record goes back to the
    queue and, in the end, to the dead-letter queue, with this reason in the log."""

    def send(self, message: CallbackMessage, delay_s: int) -> None:
        raise QueueUnavailable("CALLBACK_QUEUE_URL is not set: the next attempt cannot be queued")


lambda_handler = long_lived(_from_environment)
