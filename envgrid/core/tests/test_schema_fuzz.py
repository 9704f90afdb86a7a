"""Fuzzing the API from its own schema (issue 12, item 3).

schemathesis reads /api/schema/ from a live server and sends generated requests to
every operation, authenticated by token as office staff of a small synthetic world.
Every response must be a non-5xx and must match the schema the API publishes for it.
The number of examples per operation is bounded (ENVGRID_FUZZ_EXAMPLES, default 3) and
the generation is derandomised so CI runs are repeatable; ENVGRID_FUZZ_RANDOM=1 explores
new inputs. All failures are collected and reported together, one per operation.
"""

from __future__ import annotations

import os
import traceback

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from envgrid.security.tokens import token_issue
from envgrid.testing import World

EXAMPLES = int(os.environ.get("ENVGRID_FUZZ_EXAMPLES", "3"))
RANDOM = os.environ.get("ENVGRID_FUZZ_RANDOM", "") == "1"

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

# Found by this test on PostgreSQL and not yet fixed in the owning app: reported on every
# run, not failing it. Remove an entry once its app is fixed (a new failure still fails).
# Findings accepted for now, by operation label, with the reason. Empty: every finding so
# far was fixed (year ranges and NUL in envgrid.core.params / RejectNulMiddleware, dates
# before 1949 refused by the case service).
KNOWN: dict[str, str] = {}


def test_api_fuzz_no_5xx_and_responses_match_schema(live_server, capsys):
    world = World()
    _token, key = token_issue(user=world.office_staff.user, ip=None)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    session = requests.Session()
    headers = {"Authorization": f"Token {key}"}
    checks = [not_a_server_error, response_schema_conformance]

    operations = 0
    counter = {"examples": 0}
    failures: dict[str, str] = {}

    def runner(operation):
        label = operation.label

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=not RANDOM,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            counter["examples"] += 1
            if label in failures:
                return
            response = case.call(base_url=live_server.url, session=session, headers=headers)
            try:
                case.validate_response(response, checks=checks)
            except (
                Exception,
                BaseExceptionGroup,
            ) as exc:  # collected: one report per operation, no shrinking
                failures[label] = (
                    f"{type(exc).__name__}: {str(exc)[:1500]}\n  request: {case.method} "
                    f"{case.formatted_path} query={case.query} body={str(case.body)[:300]}\n"
                    f"  response {response.status_code}: {response.text[:400]}"
                )

        return run

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            runner(operation)()
        except (
            Exception,
            BaseExceptionGroup,
        ):  # a generation error is a schema problem: report it too
            failures.setdefault(operation.label, traceback.format_exc(limit=3))
    examples = counter["examples"]

    known = {k: v for k, v in failures.items() if k in KNOWN}
    new = {k: v for k, v in failures.items() if k not in KNOWN}
    with capsys.disabled():
        print(
            f"\nschemathesis: {operations} operations × ≤{EXAMPLES} examples = "
            f"{examples} requests, {len(new)} operations failing, {len(known)} known"
        )
        for label in sorted(known):
            print(f"  known: {label}: {KNOWN[label]}")
    assert operations > 100
    assert not new, "\n\n".join(f"{k}\n{v}" for k, v in sorted(new.items()))
