"""The source document's rules about *where* things are configured, as pure functions.

R1 — which object holds the security section; R2 — which object holds the TLS connections.
They take plain values (type, version, SCS) so forms, checks and pages ask the same question.
"""

import functools
from dataclasses import dataclass

from applications.models import AppType
from applications.versions import at_least

V_8_5_001 = "8.5.001"
V_8_5_003 = "8.5.003"


@dataclass(frozen=True)
class Placement:
    allowed: bool
    reason: str
    # Where to go instead: "nodes", "cluster", or "" (nothing to point at).
    instead: str = ""


@functools.lru_cache(maxsize=1024)
def security_section_placement(app_type: str, version: str, scs: bool) -> Placement:
    """R1: may this application hold the ``security`` section? (Pure, so kept per arguments: a page of the
    review asks it for hundreds of Nodes of a few versions.)"""
    if app_type == AppType.COBROWSE_SERVER:
        if at_least(version, V_8_5_001):
            return Placement(False, "From Co-browse 8.5.001 the security section is configured on the "
                                    "Co-browse Node applications, not on a Co-browse Server.", "nodes")
        return Placement(True, "Co-browse 8.5.000: the security section is on the Co-browse Server application.")
    if app_type == AppType.COBROWSE_NODE:
        if not at_least(version, V_8_5_001):
            return Placement(False, "Co-browse Nodes exist from 8.5.001; in 8.5.000 configure the Co-browse Server.")
        if scs:
            return Placement(True, "Solution Control Server is used: the security section must be on the Nodes.")
        return Placement(True, "Co-browse 8.5.001+: the security section is on the Co-browse Node.")
    if app_type == AppType.COBROWSE_CLUSTER:
        if not at_least(version, V_8_5_003):
            return Placement(False, "Before 8.5.003 a Co-browse Cluster cannot hold the security section: "
                                    "configure its Nodes instead.", "nodes")
        if scs:
            return Placement(False, "This deployment uses Solution Control Server: the Cluster's security "
                                    "section cannot be configured. Configure the Nodes instead.", "nodes")
        return Placement(True, "Co-browse 8.5.003+: the security section may be on the Cluster (or on the Nodes).")
    return Placement(False, "Only Co-browse Server, Node and Cluster applications have a Co-browse security section.")


def connections_placement(app_type: str, version: str) -> Placement:
    """R2: does this application hold the TLS connections to the Genesys servers?"""
    if app_type == AppType.COBROWSE_SERVER:
        if at_least(version, V_8_5_001):
            return Placement(False, "From 8.5.001 the TLS connections are configured on the Co-browse Cluster.",
                             "cluster")
        return Placement(True, "Co-browse 8.5.000: connections are on the Co-browse Server application.")
    if app_type == AppType.COBROWSE_CLUSTER:
        if at_least(version, V_8_5_001):
            return Placement(True, "Co-browse 8.5.001+: connections are on the Co-browse Cluster application.")
        return Placement(False, "Before 8.5.001 connections are on the Co-browse Server application.")
    if app_type == AppType.COBROWSE_NODE:
        return Placement(False, "From 8.5.001 TLS connections are configured on the Co-browse Cluster, "
                                "not on the Nodes.", "cluster")
    return Placement(True, "")
