"""The console's workshop helpers: a conversation saved as a replay file, the interaction model re-read on demand (and
its state shown), and the suppliers' latency scale changed while the stack runs.

- `GET /api/replay?conversation=<id>`: the conversation's utterances, as typed, in the `ask dialog --replay` format
  (what ask-cli's `.record <file> --append-quit` writes, and what `make chat REPLAY=` plays), as an attachment.
- `POST /api/model/reload` `{"locale"}`: the locale's model file read now. A file that does not parse answers 422 with
  the parser's line and column; turns in that locale answer the same 422 until the file is fixed (ModelStore), while
  the conversations and the rest of the console go on.
- `POST /api/settings` `{"latency_scale"}`: how slow the simulated companies answer, for the searches started from
  then on (a search already running keeps its scale, as a Lambda instance keeps its configuration).
- `info()` adds each locale's model (file, modification time, intents, when the console saw it change, or its error)
  and the latency scale to `GET /api/info`.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_stack.envelopes import SKILL_ID
from local_stack.interaction_model import InteractionModel, InteractionModelError, ModelStore

if TYPE_CHECKING:
    from local_stack.stack import LocalStack

Json = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
# 1 is the companies' realistic pace; 20 makes every one of them miss its 15 s limit (a demo of timeouts). Beyond,
# nothing new is shown, and a search would only take longer to fail.
MAX_LATENCY_SCALE = 20.0
QUIT = ".quit"  # ends `ask dialog --replay` (and `make chat REPLAY=`) after the last utterance
_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


class Workshop:
    def __init__(self, stack: LocalStack, models: ModelStore) -> None:
        self._stack = stack
        self._models = models
        self._lock = threading.Lock()
        # The reading of each locale's model last seen, and since when: a new reading is a reload to report.
        self._seen: dict[str, tuple[InteractionModel, datetime]] = {}

    def info(self) -> Json:
        return {
            "models": {locale: self.model(locale) for locale in self._models.locales()},
            "latency_scale": self._stack.api.settings.supplier_latency_scale,
        }

    def model(self, locale: str, now: bool = False) -> Json:
        """The locale's model as the NLU has it (`now`: read from its file at once, not only when it changed)."""
        path = self._models.directory / f"{locale}.json"
        shown: Json = {"locale": locale, "file": _shown_path(path), "modified": _modified(path)}
        try:
            model = self._models.reload(locale) if now else self._models.get(locale)
        except InteractionModelError as error:
            return shown | {"error": str(error)} | _position(error)
        with self._lock:
            seen = self._seen.get(locale)
            if seen is None or seen[0] is not model:
                seen = self._seen[locale] = (model, datetime.now(UTC))
        return shown | {"intents": len(model.intents), "reloaded_at": _iso(seen[1]), "error": None}

    def reload(self, body: Json) -> tuple[int, Json]:
        locale = body.get("locale", "en-US")
        if not isinstance(locale, str) or locale not in self._models.locales():
            return 400, {"message": f'"locale" must be one of {", ".join(self._models.locales())}'}
        model = self.model(locale, now=True)
        if model["error"] is not None:
            where = f" (line {model['line']}, column {model['column']})" if "line" in model else ""
            return 422, model | {"message": f"the {locale} model cannot be used{where}: {model['error']}"}
        return 200, model

    def settings(self, body: Json) -> tuple[int, Json]:
        scale = body.get("latency_scale")
        # bool is an int to Python; true is no scale.
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not math.isfinite(scale):
            return 400, {"message": '"latency_scale" must be a number, such as 0.25'}
        if not 0 <= scale <= MAX_LATENCY_SCALE:
            return 400, {"message": f'"latency_scale" must be between 0 and {MAX_LATENCY_SCALE:g}'}
        self._stack.api.set_latency_scale(float(scale))
        return 200, {"latency_scale": float(scale), "applies_to": "searches started from now on"}

    def replay(self, said: Sequence[str], locale: str) -> tuple[str, bytes]:
        """The file's name and content: what was said, then `.quit`, for the stack's skill (or the placeholder id
        the local replays carry: set your skill's id to play it against the deployed skill)."""
        document = {
            "skillId": self._stack.options.skill_id or SKILL_ID,
            "locale": locale,
            "type": "text",
            "userInput": [*said, QUIT],
        }
        first = _UNSAFE.sub("-", said[0].lower()).strip("-")[:40].strip("-") if said else "empty"
        stamp = self._stack.options.clock.now().strftime("%Y%m%d-%H%M%S")
        return f"car-search-{stamp}-{first}.json", (json.dumps(document, indent=2) + "\n").encode()


def attachment(filename: str) -> str:
    """A Content-Disposition for a name made of [A-Za-z0-9.-] only (see `Workshop.replay`): no quoting needed."""
    return f'attachment; filename="{filename}"'


def _position(error: InteractionModelError) -> Json:
    cause = error.__cause__
    if isinstance(cause, json.JSONDecodeError):
        return {"line": cause.lineno, "column": cause.colno}
    return {}


def _modified(path: Path) -> str | None:
    try:
        return _iso(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    except OSError:
        return None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:  # a directory outside the repository (the tests' copies)
        return str(path)
