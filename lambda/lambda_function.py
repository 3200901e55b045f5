"""The skill's Lambda: builds the skill and exports `lambda_handler`, the ASK CLI's default handler."""

import time

# The first request of this instance has been waiting since before this line: its turn's deadline counts from here.
INIT_STARTED = time.monotonic()

import gc  # noqa: E402

# Everything created while importing lives as long as the Lambda does, so the collections that would run
# meanwhile find nothing to free: about a tenth of the import time. Frozen afterwards, the objects are not
# traversed again by the collections that requests trigger.
gc.disable()

from skill.builder import build_skill  # noqa: E402
from skill.config import SkillSettings  # noqa: E402
from skill.search_client import SearchClient  # noqa: E402
from skill.sigv4 import lambda_credentials  # noqa: E402
from skill.trip_store import s3_store  # noqa: E402

settings = SkillSettings.from_env()
# The search API authorizes the function's role (AWS_IAM): each request is signed with the role's credentials.
search = SearchClient(
    settings.search_api_url, lambda_credentials, settings.region, settings.connect_timeout_s, settings.read_timeout_s
)
lambda_handler = build_skill(search, settings, store=s3_store(settings), init_started=INIT_STARTED).lambda_handler()

gc.enable()
gc.freeze()
