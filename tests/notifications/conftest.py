import pytest

from tests.notifications.helpers import Receiver, SmtpServer

SECRET = "webhook-secret-0123456789"


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    # pytest-django swaps in the in-memory backend: these tests use the real SMTP one.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


@pytest.fixture
def receiver():
    r = Receiver(SECRET).start()
    yield r
    r.stop()


@pytest.fixture
def links(settings):
    settings.CONSOLE_BASE_URL = "https://console.example.test"
    settings.NOTIFICATION_TIERS = (60, 30, 14, 7, 1)
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 1
