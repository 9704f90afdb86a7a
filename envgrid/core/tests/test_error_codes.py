"""One error-code vocabulary (issue 19, part 3): every code the source raises is canonical
or an alias of a canonical code, responses carry both, and docs/api.md's table is the one
core/errors.py generates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from envgrid.core.errors import (
    ALIASES,
    VOCABULARY,
    ApplicationError,
    ConflictError,
    canonical_code,
    vocabulary_markdown,
)

ROOT = Path(__file__).resolve().parents[3]


def _script():
    spec = importlib.util.spec_from_file_location("error_codes", ROOT / "scripts/error_codes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_code_raised_in_the_source_is_in_the_vocabulary_or_an_alias() -> None:
    raised = _script().raised_codes(ROOT)
    assert len(raised) > 250  # the scan sees the code base, not an empty tree
    unknown = {c: where[0] for c, where in raised.items() if canonical_code(c) not in VOCABULARY}
    assert unknown == {}


def test_the_scan_finds_a_new_code_it_has_not_been_told_about(tmp_path: Path) -> None:
    app = tmp_path / "envgrid" / "somewhere"
    app.mkdir(parents=True)
    (app / "services.py").write_text(
        'NAME = "const_code"\n'
        'def f():\n    raise ConflictError("x", code="brand_new_refusal")\n'
        'def g():\n    raise ApplicationError("x", code=NAME)\n'
        'def h():\n    return {"code": "body_code", "message": "m", "fields": {}}\n',
        encoding="utf-8",
    )
    assert set(_script().raised_codes(tmp_path)) == {"brand_new_refusal", "const_code", "body_code"}


def test_aliases_point_at_canonical_codes_and_are_not_canonical_themselves() -> None:
    assert {c for c in ALIASES.values() if c not in VOCABULARY} == set()
    assert set(ALIASES) & set(VOCABULARY) == set()
    nine = [a for a, c in ALIASES.items() if c == "transition_not_allowed"]
    assert len(nine) >= 9


def test_docs_api_table_is_generated_from_core_errors() -> None:
    doc = (ROOT / "docs/api.md").read_text(encoding="utf-8")
    script = _script()
    start = doc.index(script.BEGIN) + len(script.BEGIN)
    assert doc[start : doc.index(script.END)].strip() == vocabulary_markdown().strip()


def test_a_response_keeps_the_old_code_and_names_the_canonical_one() -> None:
    old = ConflictError("只有待受理的信访件可以受理。", code="petition_bad_transition")
    assert old.as_dict() == {
        "code": "petition_bad_transition",
        "canonical": "transition_not_allowed",
        "message": "只有待受理的信访件可以受理。",
        "fields": {},
    }
    assert ApplicationError("x", code="file_too_large").as_dict()["canonical"] == "file_too_large"


@pytest.mark.django_db
def test_drf_validation_errors_carry_canonical_too(client) -> None:
    r = client.post("/api/auth/token/", data="{", content_type="application/json")
    body = r.json()
    assert r.status_code == 400
    assert body["canonical"] == canonical_code(body["code"])
