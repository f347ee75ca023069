"""A small estate for the notification tests: a root that ends before its intermediate, the
intermediate in a store a Co-browse Node is set from, the Node's Cluster's TLS connection."""

from __future__ import annotations

from dataclasses import dataclass

from applications.models import Application, Connection, Port
from notifications.channels import save_channel
from notifications.models import Channel
from security.models import Certificate, TrustedStore
from security.stores import store_save
from tests.checks.world import World
from tests.notifications.helpers import issue, library, utc

ROOT_END = utc(2031, 6, 1)
INTERMEDIATE_END = utc(2032, 6, 1)


@dataclass
class Estate:
    world: World
    root: Certificate
    intermediate: Certificate
    store: TrustedStore
    node: Application
    connection: Connection
    secure_port: Port
    issued: dict


def estate() -> Estate:
    root = issue("Partner Root CA", ROOT_END, serial=11)
    intermediate = issue("Partner Issuing CA", INTERMEDIATE_END, issuer=root, serial=12)
    root_cert, intermediate_cert = library(root, intermediate)
    world = World({})
    store = store_save(store=TrustedStore(name="Partner CA", provider="PEM", path="/opt/cb/partner.pem"),
                       certificates=[intermediate_cert], password=None, actor="tests")
    world.security(world.node1, store=store)
    connection = world.connect(world.cluster, world.message_secure)
    return Estate(world, root_cert, intermediate_cert, store, world.node1, connection, world.message_secure,
                  {"root": root, "intermediate": intermediate})


def webhook(url: str, secret: str, events: str = "") -> Channel:
    return save_channel(channel=Channel(kind="webhook", name="ops hook", target=url, events=events), actor="tests",
                        secret=secret)


def email(address: str = "ops@example.test", events: str = "") -> Channel:
    return save_channel(channel=Channel(kind="email", name="ops mail", target=address, events=events), actor="tests")
