"""Powertools Logger, Metrics and Tracer for both Lambdas.

The Tracer is created only for the async search job: creating one costs about 100 ms on top of boto3
(the X-Ray SDK patches botocore), which the HTTP paths, where a person is waiting, do not pay. Their
requests still appear in X-Ray through Lambda's active tracing.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "car-search"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CarSearch"))


@cache
def tracer() -> Tracer:
    from aws_lambda_powertools.tracing import Tracer

    return Tracer()
