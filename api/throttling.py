"""A rate limit per API token (``API_TOKEN_RATE``): a runaway script slows itself, not the console."""

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def __init__(self):
        self.cache = caches["api_throttle"]
        super().__init__()

    def get_rate(self) -> str:
        return settings.API_TOKEN_RATE  # read per request, so a test or a deployment may change it

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None  # the session is not throttled here (the login lockout guards it)
        return f"throttle_token_{request.auth.pk}"
