"""Panels other apps add to the certificate's page (the notifications sent about it), registered
when Django is ready: security imports none of them."""

from collections.abc import Callable

CertificatePanel = Callable[[object, object], str]  # (request, certificate) -> HTML
_certificate_panels: list[CertificatePanel] = []


def register_certificate_panel(panel: CertificatePanel) -> None:
    if panel not in _certificate_panels:
        _certificate_panels.append(panel)


def certificate_panels(request, certificate) -> list[str]:
    return [html for panel in _certificate_panels if (html := panel(request, certificate))]
