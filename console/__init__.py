"""What composes the Genesys configuration (``applications``) and the TLS domain (``security``):
pages that read both, like the dashboard. Neither of those apps imports this package."""
