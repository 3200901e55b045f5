"""The skill's Lambda: builds the skill and exports `lambda_handler`, the ASK CLI's default handler."""

from skill.builder import build_skill
from skill.config import SkillSettings
from skill.search_client import SearchClient

settings = SkillSettings.from_env()
search = SearchClient(
    settings.search_api_url, settings.search_api_key, settings.connect_timeout_s, settings.read_timeout_s
)
lambda_handler = build_skill(search, settings).lambda_handler()
