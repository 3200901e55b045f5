"""Alexa's Progressive Response API: something to hear while the last turn waits for results.

Sent to the request's own apiEndpoint with its apiAccessToken; a request without a token (simulators,
tests) skips it, and a progressive response that fails never costs the answer. The token is a bearer credential:
it goes only to Alexa's API over HTTPS (api.amazonalexa.com and its regional hosts), or to this machine (the local
stack), whatever apiEndpoint a request carries.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def is_alexa_api(api_endpoint: str) -> bool:
    """Alexa's API over HTTPS (api.amazonalexa.com, api.eu.amazonalexa.com, ...), or a loopback address."""
    url = urlsplit(api_endpoint)
    host = (url.hostname or "").lower()
    if host in LOOPBACK:
        return url.scheme in ("http", "https")
    return url.scheme == "https" and (host == "api.amazonalexa.com" or host.endswith(".amazonalexa.com"))


class ProgressiveResponder:
    def __init__(self, timeout_s: float = 1.0) -> None:
        self._timeout_s = timeout_s

    def send(
        self,
        api_endpoint: str | None,
        api_access_token: str | None,
        request_id: str,
        ssml: str,
        within_s: float | None = None,
    ) -> bool:
        """`within_s`: the time the turn has left for it; the call's timeout is clipped to it."""
        if not api_endpoint or not api_access_token:
            return False
        timeout = self._timeout_s if within_s is None else min(self._timeout_s, within_s)
        if timeout <= 0:
            return False
        url = urlsplit(api_endpoint)
        if not url.hostname or not is_alexa_api(api_endpoint):
            log.warning("progressive response not sent: %s is not Alexa's API", url.hostname)
            return False
        body = json.dumps(
            {"header": {"requestId": request_id}, "directive": {"type": "VoicePlayer.Speak", "speech": ssml}}
        )
        import http.client  # at first use, as in search_client: most cold starts never send one

        kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        connection = kind(url.hostname, url.port, timeout=timeout)
        try:
            connection.request(
                "POST",
                (url.path.rstrip("/")) + "/v1/directives",
                body=body,
                headers={"Authorization": f"Bearer {api_access_token}", "Content-Type": "application/json"},
            )
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as error:
            log.warning("progressive response not sent: %s", type(error).__name__)
            return False
        finally:
            connection.close()
        if status != 204:
            log.warning("progressive response refused: HTTP %s", status)
        return status == 204
