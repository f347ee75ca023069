from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        # The composition point: application lists show the TLS verdict through applications.health,
        # so applications never imports security.
        from applications import health, revert, scheduling
        from security.readiness import (
            application_health,
            application_security_summary,
            host_health,
            keep_not_ready,
            worst_first,
        )
        from security.tasks import validate_application
        from security.what_if import verdict_if

        health.register(application_health, hosts=host_health, worst_first=worst_first())
        health.register_not_ready_filter(keep_not_ready)
        health.register_security_summary(application_security_summary)
        # A change's checks: the one entry point from applications to the validation.
        scheduling.register_validation_task(validate_application)
        # The revert preview's TLS verdict: the one verdict, on the reverted configuration.
        revert.register_verdict(verdict_if)
        from security.section import forget_store_not_in_use

        revert.register_after_apply(forget_store_not_in_use)
        # The audit page links an event about a store to the store's version.
        from applications.views_history import register_event_resolver
        from security.views_store_history import store_event_url

        register_event_resolver(store_event_url)
        # A TLS_POLICY the rules cannot use stops the start, naming what is wrong (as the other settings do).
        from security.policy import policy_settings

        policy_settings()
