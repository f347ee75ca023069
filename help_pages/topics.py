"""The help topics: the rules the console applies, explained in the operator's words.

Each topic is one template, ``templates/help/<slug>.html``, written from the vendor page "Configuring
TLS" for Co-browse 8.5; the pages that apply a rule link to its topic (``{% url 'help:topic' slug %}``).
Nothing here depends on ``applications`` or ``security``: the help describes them, it does not run them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    summary: str

    @property
    def template(self) -> str:
        return f"help/{self.slug}.html"


TOPICS = (
    Topic("security-section", "The security section",
          "provider, trusted-ca and truststore-password, and which application holds them in each release."),
    Topic("providers", "Trusted stores and providers",
          "PEM file, JKS keystore or the Windows certificate store (MSCAPI): what each needs and where it works."),
    Topic("certificates", "CA certificates and fingerprints",
          "What to upload, the formats the console reads, root / intermediate / leaf, fingerprints, expiry."),
    Topic("connections", "Connections, ports and secure ports",
          "Which application holds the TLS connections, and why they go to the servers' secure ports."),
    Topic("mutual-tls", "Mutual TLS",
          "A port that also asks the client for a certificate: what it means for Co-browse."),
    Topic("restart", "Restart required",
          "Why a saved TLS change waits for a restart, and when to mark an application restarted."),
    Topic("readiness", "TLS readiness, findings and probes",
          "How the console decides whether TLS will work, what a probe proves, and when a probe is stale."),
    Topic("impact", "Impact preview",
          "Before a CA leaves a trusted store or joins it: which connections lose or gain trust, and who restarts."),
    Topic("setenv", "Configuration Server and setenv",
          "Why the Configuration Server connection is set in setenv.sh / setenv.bat, not on the Connections tab."),
    Topic("notifications", "Notifications and the expiry calendar",
          "Expiry tiers along the chain, TLS changes and readiness turns: by email, webhook and calendar, once each."),
    Topic("roles", "Roles",
          "What a Viewer, an Operator, a Security officer and an Administrator may do."),
)

BY_SLUG = {topic.slug: topic for topic in TOPICS}
