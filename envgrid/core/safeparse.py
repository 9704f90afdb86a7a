"""Uploaded files are parsed where they cannot hurt the web worker (issue 16, part 1).

A hostile workbook can make a reader ask for hundreds of gigabytes (the sparse bomb: one
cell in A1 and one in XFD1048576; calamine aborts the whole process, no Python exception)
or grind for minutes (the dense bomb). So every parse of an uploaded workbook, CSV,
GeoJSON or track file runs in a forked child process with

- an address-space limit (``RLIMIT_AS``: the child's size at start + ``PARSE_MAX_MEMORY``),
- a CPU limit and a wall-clock limit (``PARSE_TIMEOUT`` seconds; the parent kills it),

and, for a workbook, a check of the used range *before* any reader builds it: the
declared ``<dimension>`` of every worksheet, then a streaming scan of the sheet XML for
the highest row and column really used, against ``XLSX_MAX_ROWS``, ``XLSX_MAX_COLS``,
``XLSX_MAX_CELLS`` (rows x columns of the used range) and ``XLSX_MAX_XML_BYTES``.
Exceeding any limit raises :class:`ParseRefused` (a 4xx ApplicationError with a message
a person understands); the caller marks its job failed. The parent only ever holds the
parsed rows, never the reader's working memory.

The child is forked from a small, fresh *fork server* (``multiprocessing``'s
``forkserver``, Django set up once in it), not from the web or task worker itself: a
worker that has run for hours holds a heap with much freed memory, which a child forked
from it reuses without growing its address space, so the limit would bind late or not at
all. From the fork server the limit is the same in every process and at every hour.

Limits (settings, each overridable by the environment variable of the same name with
``ENVGRID_`` in front): see ``docs/security.md`` ("Hostile input").
"""

from __future__ import annotations

import faulthandler
import io
import multiprocessing
import os
import re
import resource
import time
import zipfile
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from . import rules
from .errors import ApplicationError

T = TypeVar("T")


# The limits a parsing child applies itself; resolved in the parent (whose settings and
# rules are the ones in force) and handed to the child, which sets them here.
_CHILD_LIMITS = ("XLSX_MAX_ROWS", "XLSX_MAX_COLS", "XLSX_MAX_CELLS", "XLSX_MAX_XML_BYTES")
_in_child: dict[str, int] = {}


def limit(name: str) -> int:
    """A parse limit: the rule ``core.<name>`` (envgrid.core.rules; settings
    ``ENVGRID_<name>`` or its default — never a database override)."""
    if name in _in_child:
        return _in_child[name]
    return int(rules.get(f"core.{name.lower()}"))


class ParseRefused(ApplicationError):
    """The file is too large or too complex to be parsed safely; nothing was imported."""

    status = 400

    def __init__(self, message: str, *, code: str = "file_refused", **kw: Any) -> None:
        kw.setdefault("fields", {"file": [message]})
        super().__init__(message, code=code, **kw)


# --- the child process -------------------------------------------------------------


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except OSError:  # pragma: no cover - Linux only; elsewhere no relative base
        return 0


def _child(
    conn: Any,
    memory: int,
    seconds: int,
    fn: Callable[..., Any],
    args: tuple,
    language: str | None = None,
    limits: dict[str, int] | None = None,
) -> None:
    # A native reader aborting here is expected and answered by the parent; the
    # inherited faulthandler would print a "Fatal Python error" traceback for it.
    faulthandler.disable()
    os.environ["RUST_BACKTRACE"] = "0"
    _in_child.update(limits or {})
    if language:
        translation.activate(language)
    try:
        base = _vm_bytes()
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = base + memory
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        _cpu_soft, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
        used = int(time.process_time())
        want = used + seconds + 1
        if cpu_hard == resource.RLIM_INFINITY or want <= cpu_hard:
            resource.setrlimit(resource.RLIMIT_CPU, (want, cpu_hard))
        result = fn(*args)
        conn.send(("ok", result))
    except ParseRefused as exc:
        conn.send(("refused", exc.code, exc.message))
    except ApplicationError as exc:  # the parser's own refusal (e.g. a bad track point)
        conn.send(("app", exc.code, exc.message, exc.fields, exc.status))
    except MemoryError:
        conn.send(("memory", "", ""))
    except RecursionError:
        conn.send(("error", "RecursionError", _("嵌套层次过深")))
    except BaseException as exc:  # the parent decides what a reader's failure means
        try:
            conn.send(("error", exc.__class__.__name__, str(exc)[:500]))
        except Exception:
            conn.send(("error", exc.__class__.__name__, ""))
    finally:
        conn.close()


class ParseFailed(Exception):
    """The reader raised (a malformed file): the caller words its own message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind
        self.message = message


_BOOT = "envgrid.core.parse_server"


def _context() -> Any:
    """The fork server's context (a fresh interpreter with Django set up, started on first
    use and again if it died); plain fork where the settings module is not named in the
    environment, so the server could not set Django up."""
    if not os.environ.get("DJANGO_SETTINGS_MODULE") or "forkserver" not in (
        multiprocessing.get_all_start_methods()
    ):
        return multiprocessing.get_context("fork")  # pragma: no cover - not on Linux CI
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([_BOOT])
    return ctx


def run_isolated(
    fn: Callable[..., T],
    *args: Any,
    memory: int | None = None,
    seconds: int | None = None,
) -> T:
    """``fn(*args)`` in a child of the fork server, with memory and time limits; ``fn``
    must be importable by name (a module-level function) and its result comes back
    pickled. Raises ParseRefused when a limit is hit (or the child dies, e.g. a native
    reader aborting on an allocation), ParseFailed when ``fn`` raised."""
    memory = limit("PARSE_MAX_MEMORY") if memory is None else memory
    seconds = limit("PARSE_TIMEOUT") if seconds is None else seconds
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child,
        args=(
            send,
            memory,
            seconds,
            fn,
            args,
            translation.get_language(),
            {name: limit(name) for name in _CHILD_LIMITS},
        ),
        daemon=True,
    )
    proc.start()
    send.close()
    try:
        if not recv.poll(seconds):
            raise ParseRefused(
                _("文件解析超时（超过 %(s)d 秒），已拒绝：请拆分为较小的文件后重新上传。")
                % {"s": seconds},
                code="file_parse_timeout",
            )
        try:
            message = recv.recv()
        except (EOFError, OSError):
            proc.join(5)
            raise ParseRefused(
                _("文件过于复杂，解析所需内存超过上限，已拒绝：请检查文件或拆分后重新上传。"),
                code="file_too_complex",
            ) from None
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    kind = message[0]
    if kind == "ok":
        return message[1]
    if kind == "refused":
        raise ParseRefused(message[2], code=message[1])
    if kind == "app":
        raise ApplicationError(message[2], code=message[1], fields=message[3], status=message[4])
    if kind == "memory":
        raise ParseRefused(
            _("文件过于复杂，解析所需内存超过上限，已拒绝：请检查文件或拆分后重新上传。"),
            code="file_too_complex",
        )
    raise ParseFailed(message[1], message[2])


# --- the workbook's used range, checked before any reader builds it -----------------

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\sref=\"([^\"]*)\"")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Za-z]{1,4})([0-9]{1,8})\"")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"([0-9]{1,8})\"")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b")
_REF = re.compile(r"^\$?([A-Za-z]{1,4})\$?([0-9]{1,8})$")
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _refuse_range(rows: int, cols: int) -> None:
    max_rows, max_cols, max_cells = (
        limit("XLSX_MAX_ROWS"),
        limit("XLSX_MAX_COLS"),
        limit("XLSX_MAX_CELLS"),
    )
    if rows > max_rows or cols > max_cols or rows * cols > max_cells:
        raise ParseRefused(
            _(
                "工作表范围过大（%(rows)d 行 × %(cols)d 列），已拒绝：上限为 %(max_rows)d 行、"
                "%(max_cols)d 列、共 %(max_cells)d 个单元格。请删除多余的行列或拆分文件。"
            )
            % {
                "rows": rows,
                "cols": cols,
                "max_rows": max_rows,
                "max_cols": max_cols,
                "max_cells": max_cells,
            },
            code="sheet_too_large",
        )


def _declared_range(ref: str) -> tuple[int, int] | None:
    last = ref.split(":")[-1].strip()
    m = _REF.match(last)
    if m is None:
        return None
    return int(m.group(2)), _col_number(m.group(1))


def check_xlsx_range(content: bytes) -> None:
    """Refuse a workbook whose worksheets declare or use a range beyond the limits, or
    whose XML is larger than XLSX_MAX_XML_BYTES, by streaming each sheet part (never
    building the sheet). A file that is not a zip is left for the reader to refuse."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError):
        return
    max_xml = limit("XLSX_MAX_XML_BYTES")
    declared_total = sum(max(info.file_size, 0) for info in zf.infolist())
    if declared_total > max_xml:
        raise ParseRefused(
            _("工作簿解压后过大（超过 %(mb)d MB），已拒绝。") % {"mb": max_xml // 2**20},
            code="sheet_too_large",
        )
    streamed = 0
    for info in zf.infolist():
        if not _SHEET_PART.match(info.filename):
            continue
        max_row = max_col = rows_seen = 0
        tail = b""
        with zf.open(info) as fh:
            first = True
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                streamed += len(chunk)
                if streamed > max_xml:
                    raise ParseRefused(
                        _("工作簿解压后过大（超过 %(mb)d MB），已拒绝。")
                        % {"mb": max_xml // 2**20},
                        code="sheet_too_large",
                    )
                buf = tail + chunk
                cut = buf.rfind(b"<")
                if cut <= 0:
                    cut = max(0, len(buf) - 4096)
                body, tail = buf[:cut], buf[cut:]
                if first:
                    first = False
                    dim = _DIMENSION.search(body)
                    if dim is not None:
                        found = _declared_range(dim.group(1).decode("ascii", "replace"))
                        if found is not None:
                            _refuse_range(*found)
                for m in _CELL_REF.finditer(body):
                    r, c = int(m.group(2)), _col_number(m.group(1).decode("ascii"))
                    if r > max_row:
                        max_row = r
                    if c > max_col:
                        max_col = c
                for m in _ROW_REF.finditer(body):
                    r = int(m.group(1))
                    if r > max_row:
                        max_row = r
                rows_seen += len(_ROW_TAG.findall(body))
                _refuse_range(max(max_row, rows_seen), max(max_col, 1))
        # the last piece (the closing tags)
        for m in _CELL_REF.finditer(tail):
            max_col = max(max_col, _col_number(m.group(1).decode("ascii")))
            max_row = max(max_row, int(m.group(2)))
        _refuse_range(max(max_row, rows_seen), max(max_col, 1))


def _checked(reader: Callable[[bytes], T], content: bytes) -> T:
    check_xlsx_range(content)
    return reader(content)


def parse_xlsx(reader: Callable[[bytes], T], content: bytes) -> T:
    """``reader(content)`` in the limited child, after the used-range check there."""
    return run_isolated(_checked, reader, content)


def check_upload_size(content: bytes | bytearray | memoryview | str, what: str = "file") -> None:
    """Refuse import content beyond ENVGRID_IMPORT_MAX_BYTES (413), for callers that get
    bytes from elsewhere than an HTTP upload (commands, tests) as much as for uploads."""
    max_bytes = int(getattr(settings, "ENVGRID_IMPORT_MAX_BYTES", settings.FILE_UPLOAD_MAX_BYTES))
    if len(content) > max_bytes:
        raise ApplicationError(
            _("文件过大（超过 %(mb)d MB），已拒绝。") % {"mb": max_bytes // 2**20},
            code="file_too_large",
            fields={what: [_("文件过大")]},
            status=413,
        )
