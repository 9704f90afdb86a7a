"""docs/rules.md traces every requirement ID to its article, its code and its tests; these
tests keep it true as the code and the tests move.

- Every ID that a test name carries has an entry, and every entry is a SPEC ID.
- Every entry has a test carrying its ID, unless listed under "Not yet tested"; an ID
  listed there that has gained a test must move into its entry.
- Every test the document cites exists, in the file it is cited under, and carries the ID
  of the entry that cites it. (A new test need not be cited at once: the entry lists the
  tests found when it was last refreshed; `python scripts/rules_tests.py ID` lists them now.)
- Every module, object and file the document cites exists.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "rules.md"

ID_WORD = re.compile(r"^[GMETIAD][1-9]\d*$")


def id_index(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """{ID: {test file, relative with /: [test names carrying the ID, in file order]}}.

    A test carries an ID when a `_`-separated word of its function name is the ID
    (`test_T4_feedback_due…`, `test_M1_M2_agenda…`, `test_T1_…_and_T4_accept…`).
    """
    index: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted((root / "envgrid").rglob("test*.py")):
        if "tests" not in path.parts:
            continue
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
                node.name.startswith("test_")
            ):
                for word in node.name.split("_"):
                    if ID_WORD.match(word) and node.name not in index[word][rel]:
                        index[word][rel].append(node.name)
    return index


# SPEC.md's requirement IDs (SPEC lives beside the repository, so its list is restated here).
SPEC_IDS = (
    [f"G{n}" for n in range(1, 6)]
    + [f"M{n}" for n in range(1, 8)]
    + [f"E{n}" for n in range(1, 7)]
    + [f"T{n}" for n in range(1, 7)]
    + [f"I{n}" for n in range(1, 5)]
    + [f"A{n}" for n in range(1, 4)]
    + [f"D{n}" for n in range(1, 8)]
)

ENTRY = re.compile(r"^### ([GMETIAD]\d+)\s*$", re.M)
SECTION = re.compile(r"^## ", re.M)
CITED_FILE_TESTS = re.compile(r"^- `(envgrid/[^`]+\.py)`: (.+)$", re.M)
TEST_NAME = re.compile(r"`(test_\w+)`")
CODE_REF = re.compile(r"`(envgrid(?:\.\w+)+)`")
PATH_REF = re.compile(r"`((?:envgrid|docs|scripts)/[\w./-]*)`")


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _entries(text: str) -> dict[str, str]:
    """{ID: the entry's text, up to the next entry or section}."""
    out: dict[str, str] = {}
    matches = list(ENTRY.finditer(text))
    for m in matches:
        end_candidates = [
            x.start() for x in [*ENTRY.finditer(text, m.end()), *SECTION.finditer(text, m.end())]
        ]
        end = min(end_candidates, default=len(text))
        assert m.group(1) not in out, f"two entries for {m.group(1)}"
        out[m.group(1)] = text[m.end() : end]
    return out


def _not_yet_tested(text: str) -> set[str]:
    start = text.index("\n## Not yet tested")
    nxt = SECTION.search(text, start + 2)
    section = text[start : nxt.start() if nxt else len(text)]
    return set(re.findall(r"^- \*\*([GMETIAD]\d+)\*\*", section, re.M))


@pytest.fixture(scope="module")
def index() -> dict[str, dict[str, list[str]]]:
    return id_index(ROOT)


def test_every_spec_id_has_exactly_one_entry() -> None:
    entries = _entries(_text())
    assert sorted(entries) == sorted(SPEC_IDS)


def test_every_id_a_test_name_cites_has_an_entry(index: dict[str, dict[str, list[str]]]) -> None:
    entries = _entries(_text())
    missing = {
        rid: [n for names in files.values() for n in names]
        for rid, files in index.items()
        if rid not in entries
    }
    assert missing == {}, "test names cite IDs that docs/rules.md has no entry for"


def test_every_entry_has_a_test_unless_listed_as_not_yet_tested(
    index: dict[str, dict[str, list[str]]],
) -> None:
    text = _text()
    untested = _not_yet_tested(text)
    assert untested, "the Not yet tested section could not be read"
    without_tests = {rid for rid in _entries(text) if not index.get(rid)}
    assert without_tests - untested == set(), "entries without a test carrying their ID"
    assert untested - without_tests == set(), "listed as not yet tested but a test carries it now"


def test_every_cited_test_exists_in_its_file_and_carries_the_entry_id(
    index: dict[str, dict[str, list[str]]],
) -> None:
    problems = []
    cited = 0
    for rid, body in _entries(_text()).items():
        for rel, names in CITED_FILE_TESTS.findall(body):
            have = set(index.get(rid, {}).get(rel, []))
            for name in TEST_NAME.findall(names):
                cited += 1
                if name not in have:
                    problems.append(f"{rid}: {rel}::{name}")
    assert cited > 300
    assert problems == [], "cited tests that do not exist there or do not carry the ID"


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_every_cited_module_and_object_exists() -> None:
    refs = sorted(set(CODE_REF.findall(_text())))
    assert len(refs) > 100
    broken = []
    for ref in refs:
        try:
            _resolve(ref)
        except (ImportError, AttributeError) as exc:
            broken.append(f"{ref}: {exc}")
    assert broken == []


def test_every_cited_file_exists() -> None:
    refs = sorted(set(PATH_REF.findall(_text())))
    assert refs
    assert [r for r in refs if not (ROOT / r).exists()] == []


def test_readme_and_architecture_link_the_rules() -> None:
    for name in ("README.md", "docs/architecture.md"):
        assert "rules.md" in (ROOT / name).read_text(encoding="utf-8"), name
