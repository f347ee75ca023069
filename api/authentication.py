"""Who is calling: a personal token (``Authorization: Bearer cba_…``) or the browser's session."""

from rest_framework import authentication, exceptions

from api import tokens


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None  # no token: the session may still say who this is
        token = tokens.token_for(secret.strip())
        if token is None or not token.user.is_active:
            # One message for unknown, revoked and expired: it tells a guesser nothing.
            raise exceptions.AuthenticationFailed("The token is unknown, revoked or expired.")
        tokens.note_use(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class SessionWithCsrfAuthentication(authentication.SessionAuthentication):
    """The browser's session; DRF checks its CSRF token on every unsafe method."""
