"""Every operation of the OpenAPI document fuzzed by schemathesis (v4: ``schemathesis.openapi.from_asgi``)
against the SYNTHETIC demo home: no input may make the API answer 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from tests.api_helpers import demo_home

EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    app = create_app(demo_home(tmp_path_factory).root)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
    database=None,
)
def test_no_input_makes_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error])
