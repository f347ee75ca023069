from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The dashboard and the demo environment: the one place that knows both applications and security."""

    name = "console"
