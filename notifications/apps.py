from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Expiry, security-change and readiness notifications by email, webhook and calendar. Depends on
    applications and security; neither imports it (the certificate page's panel is registered here)."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from notifications.panels import certificate_notices_panel
        from security import panels

        panels.register_certificate_panel(certificate_notices_panel)
