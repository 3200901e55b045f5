"""`make serve` as a participant runs it, on a laptop with no AWS account: no AWS variable set. Every process of the
stack (the embedded S3, the search runtime) records each connection it opens, through an audit hook a
sitecustomize installs; a conversation that runs a search, then a stop, and none of them went off 127.0.0.1.

What this caught: the entry modules' AWS composition, run when the stack imports them, asked botocore for
credentials, and botocore asked the EC2 instance metadata service at 169.254.169.254."""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path
from typing import Any

from tests.builders.serve_process import serving
from tests.builders.waiting import PATIENCE_S

SEED = ["ask car search to find a car in New York next weekend", "a small car", "Enterprise"]
RECORDER = """
import os, socket, sys

def _record(event, args):
    if event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6):
        with open(os.environ["CONNECTIONS_RECORD"], "a") as record:
            record.write(f"{os.getpid()} {args[1]!r}\\n")

sys.addaudithook(_record)
"""


def _turn(port: int, text: str, conversation: str | None) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE_S)
    try:
        body = {"text": text} | ({"conversation": conversation} if conversation else {})
        connection.request("POST", "/api/turn", json.dumps(body), {"Content-Type": "application/json"})
        answer = connection.getresponse()
        raw = answer.read()
        assert answer.status == 200, raw
        result: dict[str, Any] = json.loads(raw)
        return result
    finally:
        connection.close()


def test_make_serve_without_an_aws_account_connects_to_127_0_0_1_only(tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(RECORDER)
    record = tmp_path / "connections"
    record.touch()
    # A laptop's environment: the tests' own AWS variables (tests/conftest.py) are not a participant's.
    # (Blank is unset to botocore's environment provider; the serving builder can only add or override variables.)
    unset = {name: "" for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    paths = os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")])
    with serving(tmp_path, 0.05, PYTHONPATH=paths, CONNECTIONS_RECORD=str(record), **unset) as served:
        port = int(served.console_url.rstrip("/").rsplit(":", 1)[1])
        conversation = None
        for text in SEED:
            answer = _turn(port, text, conversation)
            conversation = answer["conversation"]
        assert "Enterprise" in answer["turn"]["speech"]
        assert served.stop() == 0
    connections = record.read_text().splitlines()
    assert connections, "the recorder saw no connection at all: it is not installed"
    elsewhere = [line for line in connections if "'127.0.0.1'" not in line and "'::1'" not in line]
    assert elsewhere == [], elsewhere
