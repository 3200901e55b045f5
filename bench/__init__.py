"""Benchmarks of the search API, run by `make bench` (python -m bench). Offline: moto S3, in-process.

The environment is set here, before anything imports search_service: fake credentials for moto, no
X-Ray, and Powertools kept quiet (its EMF metric lines are sent to /dev/null by `bench.harness.quiet`).
No bytecode is written either, so a run leaves no __pycache__ in search_service/.
"""

import os
import sys

ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "CarSearchBench",
    "POWERTOOLS_SERVICE_NAME": "car-search",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)
sys.dont_write_bytecode = True
