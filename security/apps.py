from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        # The composition point: application lists show the TLS verdict through applications.health,
        # so applications never imports security.
        from applications import health
        from security.readiness import application_health, host_health, worst_first

        health.register(application_health, hosts=host_health, worst_first=worst_first())
