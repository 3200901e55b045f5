"""Embedded S3: moto's server mode on a free port of 127.0.0.1, reached through boto3 with `endpoint_url`,
exactly as the search Lambdas reach S3 in AWS."""

from __future__ import annotations

from typing import Any

from search_service.config import Settings
from search_service.wiring import boto3_client

LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # moto accepts any


class EmbeddedS3:
    def __init__(self, port: int = 0) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.url = ""

    def start(self) -> str:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per S3 call otherwise
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        if self.url:
            self._server.stop()
            self.url = ""


def s3_client(endpoint_url: str, settings: Settings) -> Any:
    """The search Lambdas' own client, with explicit local credentials so no profile, environment or instance
    metadata is read."""
    return boto3_client("s3", settings, endpoint_url, **LOCAL_CREDENTIALS)
