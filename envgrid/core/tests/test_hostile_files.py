"""Issue 16, part 1: uploaded files are parsed where they cannot hurt the web worker.

The bombs are generated here, small on disk: the sparse bomb (one cell in A1, one in
XFD1048576; 1-2 KB) made calamine ask for 512 GB and abort the worker; the dense bomb
(hundreds of thousands of rows of repeated cells, a few hundred KB zipped) took gigabytes.
Each is refused with a clear message, the job ends failed (never left "validating"),
and the server keeps answering."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from envgrid.core import safeparse
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.safeparse import ParseRefused, check_xlsx_range, run_isolated
from envgrid.entities.models import EntityImportJob, ImportJobStatus
from envgrid.entities.xlsx import xlsx_rows_list

pytestmark = pytest.mark.django_db

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def xlsx_from_sheet(sheet_xml: Iterator[str] | str) -> bytes:
    """A minimal but valid .xlsx whose first worksheet is ``sheet_xml`` (streamed in)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            parts = [sheet_xml] if isinstance(sheet_xml, str) else sheet_xml
            for part in parts:
                fh.write(part.encode())
    return buf.getvalue()


def sparse_bomb(declare: bool = True) -> bytes:
    dimension = '<dimension ref="A1:XFD1048576"/>' if declare else ""
    return xlsx_from_sheet(
        f'<?xml version="1.0"?><worksheet xmlns="{_NS}">{dimension}<sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    )


def dense_bomb(rows: int, cols: int = 3, declare: bool = False) -> bytes:
    letters = [chr(65 + i) for i in range(cols)]

    def parts() -> Iterator[str]:
        dim = f'<dimension ref="A1:{letters[-1]}{rows}"/>' if declare else ""
        yield f'<?xml version="1.0"?><worksheet xmlns="{_NS}">{dim}<sheetData>'
        batch = []
        for r in range(1, rows + 1):
            cells = "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in letters)
            batch.append(f'<row r="{r}">{cells}</row>')
            if len(batch) == 5000:
                yield "".join(batch)
                batch = []
        yield "".join(batch)
        yield "</sheetData></worksheet>"

    return xlsx_from_sheet(parts())


@pytest.fixture
def unit_api(world, api, settings):
    settings.ENVGRID_IMPORT_INLINE = True
    api.force_authenticate(world.member_staff[0].user)
    return api


def _import(api: Any, content: bytes, name: str = "bomb.xlsx") -> tuple[Any, float]:
    start = time.monotonic()
    r = api.post(
        "/api/entities/import/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )
    return r, time.monotonic() - start


def test_sparse_workbook_bomb_is_refused_quickly_and_the_job_fails(unit_api, world):
    bomb = sparse_bomb()
    assert len(bomb) < 2048
    r, seconds = _import(unit_api, bomb)
    assert r.status_code == 202, r.content[:300]
    job = EntityImportJob.objects.get(pk=r.json()["id"])
    assert job.status == ImportJobStatus.FAILED
    assert "工作表范围过大" in job.message
    assert "1048576 行 × 16384 列" in job.message
    assert seconds < 10
    # the server still serves
    assert unit_api.get("/api/entities/").status_code == 200


def test_sparse_bomb_without_a_declared_dimension_is_caught_by_the_scan():
    with pytest.raises(ParseRefused) as exc:
        check_xlsx_range(sparse_bomb(declare=False))
    assert exc.value.code == "sheet_too_large"
    assert "1048576 行" in exc.value.message


def test_the_reader_itself_on_a_sparse_bomb_dies_in_the_child_not_the_worker():
    """Second line of defence: without the range check, calamine asks for 512 GB; the
    address-space limit makes that fail in the child, and the parent gets a refusal."""
    start = time.monotonic()
    with pytest.raises(ParseRefused) as exc:
        run_isolated(xlsx_rows_list, sparse_bomb(declare=False))
    assert exc.value.code == "file_too_complex"
    assert time.monotonic() - start < 20


def test_dense_workbook_bomb_over_the_row_cap_is_refused(unit_api, settings):
    rows = safeparse.limit("XLSX_MAX_ROWS") + 1
    bomb = dense_bomb(rows)
    assert len(bomb) < 3_000_000  # small on disk, ~30 MB of XML unzipped
    r, seconds = _import(unit_api, bomb)
    job = EntityImportJob.objects.get(pk=r.json()["id"])
    assert job.status == ImportJobStatus.FAILED
    assert f"{rows} 行" in job.message
    assert seconds < 30
    assert unit_api.get("/api/entities/").status_code == 200


def test_dense_workbook_within_the_caps_but_over_the_memory_limit_is_refused(unit_api, settings):
    """The memory limit binds the real reader: 150,000 rows x 3 cells (it needs ~45 MB)
    with only 32 MB allowed to the parsing child."""
    settings.ENVGRID_PARSE_MAX_MEMORY = 32 * 1024 * 1024
    r, _seconds = _import(unit_api, dense_bomb(150_000))
    job = EntityImportJob.objects.get(pk=r.json()["id"])
    assert job.status == ImportJobStatus.FAILED
    assert "内存超过上限" in job.message


def _allocate_in_pieces(megabytes: int) -> int:
    """Holds ``megabytes`` in 64 KB pieces (malloc'd, below the mmap threshold)."""
    pieces = [bytearray(64 * 1024) for _ in range(megabytes * 16)]
    return len(pieces)


def test_the_memory_limit_binds_in_a_worker_whose_heap_holds_much_freed_memory():
    """A worker that has run for hours has freed much of its heap. A child forked from it
    reused that memory without growing its address space, so RLIMIT_AS (size at fork +
    limit) did not bind: the dense-workbook test failed only in the full run. The child
    now forks from a fresh fork server, and the limit binds whatever the worker holds."""
    held, keep = [], []
    for _ in range(3000):  # ~190 MB freed in the middle of the heap (pinned by `keep`)
        held.append(bytearray(64 * 1024))
        keep.append(bytearray(64 * 1024))
    del held
    with pytest.raises(ParseRefused) as exc:
        run_isolated(_allocate_in_pieces, 120, memory=32 * 1024 * 1024)
    assert exc.value.code == "file_too_complex"
    assert run_isolated(_allocate_in_pieces, 8, memory=32 * 1024 * 1024) == 8 * 16
    assert len(keep) == 3000


def test_limits_in_force_in_the_parent_bind_in_the_child(settings):
    """The child applies the parent's limits (a rule set in settings), not its own."""
    settings.ENVGRID_XLSX_MAX_ROWS = 10
    from envgrid.entities.tests.test_g4_entities import good_rows, workbook

    with pytest.raises(ParseRefused) as exc:
        safeparse.parse_xlsx(xlsx_rows_list, workbook(good_rows(20)))
    assert exc.value.code == "sheet_too_large"
    assert "上限为 10 行" in exc.value.message


def test_parse_over_the_time_limit_is_killed_and_refused():
    start = time.monotonic()
    with pytest.raises(ParseRefused) as exc:
        run_isolated(time.sleep, 30, seconds=1)
    assert exc.value.code == "file_parse_timeout"
    assert time.monotonic() - start < 5


def test_a_reader_error_comes_back_as_parse_failed_not_a_crash():
    with pytest.raises(safeparse.ParseFailed) as exc:
        run_isolated(xlsx_rows_list, b"PK\x03\x04 not really a zip")
    assert exc.value.kind


def test_a_good_workbook_still_imports_through_the_child(unit_api, world):
    from envgrid.entities.tests.test_g4_entities import build_square_tree, good_rows, workbook

    build_square_tree(world.admin, world)
    unit_api.force_authenticate(world.admin)
    r, _s = _import(unit_api, workbook(good_rows(3)), "ok.xlsx")
    job = EntityImportJob.objects.get(pk=r.json()["id"])
    assert job.status == ImportJobStatus.DONE, (job.message, job.errors)
    assert job.created_count == 3


# ------------------------------------------------------------------ 300 MB uploads


class _Zeros(io.RawIOBase):
    """A request body of ``size`` bytes that is never held in memory; counts reads."""

    def __init__(self, size: int, prefix: bytes) -> None:
        self.size, self.prefix, self.pos = size, prefix, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self.size - self.pos)
        if n <= 0:
            return 0
        chunk = (self.prefix[self.pos : self.pos + n]).ljust(n, b"0")
        b[:n] = chunk
        self.pos += n
        return n


def _multipart_environ(client: Client, path: str, size: int) -> tuple[dict, _Zeros]:
    boundary = "BoUnDaRy"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = _Zeros(size, head)
    # A CSRF cookie, so the CSRF check reads the posted form (it refuses early without).
    cookie = "; ".join(
        [f"{k}={v.value}" for k, v in client.cookies.items()]
        + [f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"]
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
        "CONTENT_LENGTH": str(size),
        "HTTP_COOKIE": cookie,
        "wsgi.input": io.BufferedReader(body, 64 * 1024),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    return environ, body


def _call(environ: dict) -> tuple[str, bytes]:
    out: dict[str, Any] = {}

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        out["status"] = status

    # As django.test.Client does: the test's transaction must survive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(WSGIHandler()(environ, start_response))  # type: ignore[arg-type]
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return out["status"], body


@pytest.mark.parametrize(
    "path", ["/api/entities/import/", "/entities/import/", "/api/grids/import/"]
)
def test_300_mb_upload_is_refused_before_it_is_read_with_bounded_memory(world, path):
    client = Client()
    client.force_login(world.member_staff[0].user)
    environ, body = _multipart_environ(client, path, 300 * 1024 * 1024)
    tracemalloc.start()
    start = time.monotonic()
    status, content = _call(environ)
    seconds = time.monotonic() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert status.startswith("413"), (status, content[:300])
    assert body.pos < 1024 * 1024  # not read: refused on its declared length
    assert seconds < 5
    assert peak < 20 * 1024 * 1024
    if path.startswith("/api/"):
        assert json.loads(content)["code"] == "file_too_large"
    assert client.get("/api/entities/").status_code == 200


def test_one_file_over_the_file_limit_is_stopped_while_streaming(world):
    """Under the request limit (100 MB) but one 60 MB file: stopped once 20 MB arrived."""
    client = Client()
    client.force_login(world.member_staff[0].user)
    environ, body = _multipart_environ(client, "/api/entities/import/", 60 * 1024 * 1024)
    tracemalloc.start()
    status, content = _call(environ)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert status.startswith("413"), (status, content[:300])
    assert json.loads(content)["code"] == "file_too_large"
    assert body.pos < settings.FILE_UPLOAD_MAX_BYTES + 2 * 1024 * 1024
    assert peak < 20 * 1024 * 1024


# ------------------------------------------------------------------ other importers


def test_emission_import_checks_permission_before_parsing(world, monkeypatch):
    from envgrid.disclosure import services as disclosure_services

    def must_not_parse(*_a: Any) -> Any:
        raise AssertionError("parsed before the permission check")

    monkeypatch.setattr(disclosure_services, "parse_emission_file", must_not_parse)
    other = world.member_staff[1]
    with pytest.raises(PermissionDeniedError):
        disclosure_services.emission_import(
            actor=other.user,
            unit=world.members[0],
            title="批次",
            file_name="bomb.xlsx",
            content=sparse_bomb(),
        )


def test_emission_import_refuses_a_sparse_bomb(world):
    from envgrid.disclosure import services as disclosure_services

    staff = world.member_staff[0]
    with pytest.raises(ApplicationError) as exc:
        disclosure_services.emission_import(
            actor=staff.user,
            unit=staff.unit,
            title="批次",
            file_name="bomb.xlsx",
            content=sparse_bomb(),
        )
    assert exc.value.code == "sheet_too_large"
    assert "工作表范围过大" in exc.value.message


def test_emission_import_page_answers_400_for_a_dense_bomb(world, client):
    staff = world.member_staff[0]
    client.force_login(staff.user)
    r = client.post(
        "/disclosure/manage/emissions/",
        {"title": "批次", "file": SimpleUploadedFile("bomb.xlsx", dense_bomb(200_001))},
    )
    assert r.status_code == 400
    assert "工作表范围过大" in r.content.decode()


def test_deeply_nested_geojson_file_is_refused_as_invalid_json(world, api):
    api.force_authenticate(world.admin)
    deep = ("[" * 200_000 + "]" * 200_000).encode()
    r = api.post(
        "/api/grids/import/",
        {"file": SimpleUploadedFile("deep.geojson", deep)},
        format="multipart",
    )
    assert r.status_code == 400, r.content[:300]
    assert r.json()["code"] != "server_error"


def test_deeply_nested_track_file_is_refused():
    from envgrid.patrols.tracks import parse_track

    deep = '{"type": "LineString", "coordinates": ' + "[" * 200_000 + "]" * 200_000 + "}"
    with pytest.raises(safeparse.ParseFailed) as exc:
        run_isolated(parse_track, deep.encode(), "deep.geojson")
    assert exc.value.kind == "RecursionError"
