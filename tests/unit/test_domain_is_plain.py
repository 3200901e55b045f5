"""The domain is plain Python (house rule 2): importing every module of search_service.domain loads no pydantic, no
AWS SDK, no Powertools and no HTTP client. Checked in a fresh interpreter, as this one has them all loaded."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import search_service.domain

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("pydantic", "pydantic_core", "boto3", "botocore", "aws_lambda_powertools", "urllib3", "requests")
IMPORT_ALL = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


def _domain_modules() -> list[str]:
    found = pkgutil.iter_modules(search_service.domain.__path__, "search_service.domain.")
    return sorted(module.name for module in found)


def test_domain_modules_import_no_pydantic_sdk_or_framework() -> None:
    # GIVEN every module of the domain, models and ports included
    modules = _domain_modules()
    assert {"search_service.domain.models", "search_service.domain.ports"} <= set(modules)
    # WHEN a fresh interpreter imports them all
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, *modules], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(done.stdout)
    # THEN none of the libraries the adapters and the API wrap came with them
    assert [name for name in loaded if name.split(".")[0] in FORBIDDEN] == []
