"""What the application page shows about TLS: the security section and where it belongs (R1)."""

from applications.models import Application, Option
from security.rules import security_section_placement

SECURITY_SECTION = "security"


def application_security_summary(app: Application) -> dict:
    if not app.is_cobrowse:
        return {"applicable": False}
    values = {
        o.name: o for o in Option.objects.filter(application=app, section=SECURITY_SECTION)
    }
    provider = values.get("provider")
    trusted = values.get("trusted-ca")
    return {
        "applicable": True,
        "placement": security_section_placement(app.app_type, app.version, app.uses_scs),
        "provider": provider.value if provider else "",
        "trusted_ca": trusted.value if trusted else "",
        "has_password": "truststore-password" in values and bool(values["truststore-password"].value),
    }
