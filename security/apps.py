from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        # The composition point: application lists show the TLS verdict through applications.health,
        # so applications never imports security.
        from applications import health, revert
        from security.readiness import application_health
        from security.what_if import verdict_if

        health.register(application_health)
        # The revert preview's TLS verdict: the one verdict, on the reverted configuration.
        revert.register_verdict(verdict_if)
