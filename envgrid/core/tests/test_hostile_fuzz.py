"""Hostile inputs across every API operation (issue 16, part 3), beside the schemathesis
run: each operation of /api/schema/ gets, deterministically, deep nesting, lone
surrogates, Unicode digits, control characters, oversized text and out-of-range integers
in its path parameters, its query parameters and every property of its JSON body. No
answer may be a 5xx, and every error answer under /api/ is JSON (no HTML page). Every
free-text property also gets text one character over its maxLength (which it must have)
and values of the wrong type (a number, a boolean, a list, an object): none may be
accepted."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import requests

from envgrid.security.tokens import token_issue
from envgrid.testing import World

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

PATH_VALUES = ["²", "99999999999999999999", "-1", "%ED%A0%80", "%01"]
QUERY_VALUES = ["²", "99999", "99999999999999999999", "\x01", "x" * 5000, "-1e309"]
DEEP = "[" * 50_000 + "]" * 50_000
BODY_VALUES: list[Any] = [
    "\ud800",
    "坏\x01\x0b字",
    "长" * 200_000,
    "²",
    2**70,
    -(2**70),
    1e308,
    [[[[[[[[]]]]]]]],
    {"a": {"b": {"c": {}}}},
]


def _resolve(spec: dict, schema: dict | None) -> dict:
    seen = 0
    while schema and "$ref" in schema and seen < 10:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"].get(name, {})
        seen += 1
    return schema or {}


def _body_schema(spec: dict, op: dict) -> dict[str, dict]:
    content = (op.get("requestBody") or {}).get("content", {})
    schema = _resolve(spec, (content.get("application/json") or {}).get("schema"))
    return {name: _resolve(spec, prop) for name, prop in (schema.get("properties") or {}).items()}


def _free_text(prop: dict) -> bool:
    """A plain writable string property: no format, no choices, not read-only."""
    return (
        prop.get("type") == "string"
        and "format" not in prop
        and "enum" not in prop
        and not prop.get("readOnly")
    )


# Values of the wrong type for a string property (issue 16, part 3: strict types). Like
# text one character over its maxLength, none may be accepted (2xx) by any operation.
WRONG_FOR_STRING: list[Any] = [12345, 1.5, True, ["文本"], {"文本": 1}]


def test_hostile_values_across_all_operations_no_5xx_no_html(live_server, capsys):
    world = World()
    _token, key = token_issue(user=world.office_staff.user, ip=None)
    session = requests.Session()
    session.headers["Authorization"] = f"Token {key}"
    spec = session.get(f"{live_server.url}/api/schema/?format=json").json()
    failures: list[str] = []
    sent = 0

    def send(method: str, url: str, refuse: bool = False, **kw: Any) -> None:
        """refuse: the value must not be accepted (no 2xx), besides no 5xx/HTML."""
        nonlocal sent
        sent += 1
        try:
            r = session.request(method, url, timeout=60, **kw)
        except requests.RequestException as exc:
            failures.append(f"{method} {url[:160]}: {exc.__class__.__name__}")
            return
        html = r.headers.get("Content-Type", "").startswith("text/html")
        if r.status_code >= 500 or (r.status_code >= 400 and html and "/api/" in url):
            failures.append(f"{method} {url[:160]} {str(kw)[:160]} -> {r.status_code}")
        elif refuse and r.status_code < 300:
            failures.append(f"{method} {url[:160]} {str(kw)[:160]} accepted: {r.status_code}")

    operations = 0
    string_props = 0
    for path, item in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operations += 1
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            path_names = [p["name"] for p in params if p.get("in") == "path"]
            query_names = [p["name"] for p in params if p.get("in") == "query"]
            base = path
            for name in path_names:
                base = base.replace("{" + name + "}", "1")
            # Path parameters: the method itself (a DELETE with "1" must not matter).
            for name in path_names:
                for value in PATH_VALUES:
                    url = path
                    for other in path_names:
                        url = url.replace("{" + other + "}", value if other == name else "1")
                    send("get" if method == "delete" else method, live_server.url + url)
            if method == "get":
                for name in query_names:
                    for value in QUERY_VALUES:
                        send("get", f"{live_server.url}{base}?{name}={quote(value)}")
                continue
            if method == "delete":
                continue
            url = live_server.url + base
            send(method, url, data=DEEP, headers={"Content-Type": "application/json"})
            properties = _body_schema(spec, op)
            for prop in properties:
                for value in BODY_VALUES:
                    body = json.dumps({prop: value}, ensure_ascii=True)
                    send(method, url, data=body, headers={"Content-Type": "application/json"})
            for prop, schema in properties.items():
                if not _free_text(schema):
                    continue
                string_props += 1
                if "maxLength" not in schema:
                    failures.append(f"{method} {path} {prop}: a string without maxLength")
                    continue
                over = "长" * (schema["maxLength"] + 1)
                for value in [over, *WRONG_FOR_STRING]:
                    body = json.dumps({prop: value}, ensure_ascii=True)
                    send(
                        method,
                        url,
                        refuse=True,
                        data=body,
                        headers={"Content-Type": "application/json"},
                    )
    with capsys.disabled():
        print(
            f"\nhostile fuzz: {operations} operations, {string_props} string properties, "
            f"{sent} requests, {len(failures)} bad"
        )
    assert operations > 100
    assert string_props > 50
    assert failures == []
