"""The local stack: the whole system on 127.0.0.1 for make chat and make serve."""

import sys
from pathlib import Path

LAMBDA_ROOT = Path(__file__).resolve().parent.parent / "lambda"


def skill_importable() -> None:
    """lambda/ is the skill's deployment root: Lambda puts it on sys.path, and so does the local stack, which runs the
    skill's handler and checks the search API's signatures with the skill's own signer."""
    if str(LAMBDA_ROOT) not in sys.path:
        sys.path.insert(0, str(LAMBDA_ROOT))
