"""Schemathesis against a live server: every operation of the schema, positive and negative data,
with a token of each role (and none). No 5xx; every response conforms to the schema (status code
documented, content type, body, headers).

Bounded for CI: ``SCHEMATHESIS_MAX_EXAMPLES`` examples per operation and mode (default 4), each sent
as the next caller in turn (anonymous, then each role), so every role meets every operation over its
examples without sending each one five times. Raise it for a longer run.
"""

import itertools
import json
import os

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import ROLE_USERS

# Schema-valid is not valid: the forms refuse a duplicate name or an address that is no address (400),
# which the schema cannot say. Invalid data must still be refused (negative_data_rejection).
NOT_CHECKED = [positive_data_acceptance]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4"))
CALLERS = [None, *ROLE_USERS]
_turn = itertools.count()


def generated_schema() -> dict:
    """The schema the server serves at /api/v1/schema/ (``test_the_live_server_serves_this_schema``)."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(generated_schema())
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES,
    deterministic=True, database="none",
)
# A write without its required If-Match is answered 428 Precondition Required (RFC 6585), the status
# made for it; schemathesis expects a 4xx among its own list. (Operations on /things/{id}/ met a drawn id
# first, a 404 it lets pass; /notifications/subscription/ has none.)
_missing_header = schema.config.checks.missing_required_header
_missing_header.expected_statuses = [*_missing_header.expected_statuses, "428"]


@pytest.fixture
def live_tokens(transactional_db, users):
    from api.tokens import create_token

    return {name: create_token(user=user, name="schemathesis").secret for name, user in users.items()}


@pytest.fixture(autouse=True)
def no_throttle(settings):
    settings.API_TOKEN_RATE = "100000/min"


def test_the_live_server_serves_this_schema(live_server, live_tokens):
    import requests

    response = requests.get(f"{live_server.url}/api/v1/schema/?format=json", timeout=30,
                            headers={"Authorization": f"Bearer {live_tokens['viewer']}"})
    assert response.status_code == 200
    assert response.json() == generated_schema()


# The tokens and the live server stay the same across examples, on purpose.
@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_for_every_role(case, live_server, live_tokens):
    username = CALLERS[next(_turn) % len(CALLERS)]
    headers = {"Authorization": f"Bearer {live_tokens[username]}"} if username else {}
    case.call_and_validate(base_url=live_server.url, headers=headers, excluded_checks=NOT_CHECKED)
