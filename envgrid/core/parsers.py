"""Request bodies that cannot make a 500 (issue 16, part 3).

:class:`SafeJSONParser` replaces DRF's JSONParser: a nesting deeper than ``MAX_DEPTH``
(which made ``json.loads`` raise RecursionError on every write endpoint), a lone
surrogate (``"\\ud800"``, which the database driver cannot encode), a control character
in any key or string, and a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` are each
refused with a 400/413 ``{code, message, fields}``.

:class:`InputGuardMiddleware` does the same for form posts (pages and multipart API
calls): a control character in a submitted text field is refused (400), as is a form
that Django cannot decode.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from rest_framework.parsers import JSONParser

from .errors import ApplicationError
from .textsafe import CONTROL_CHARS, has_control_chars

MAX_DEPTH = 64
# No text value in any request body may exceed this many characters (3 MiB titles were
# accepted); fields have their own, smaller, max_length on serializer and model.
MAX_TEXT = 100_000


def _path(parts: list[Any]) -> str:
    return ".".join(str(p) for p in parts) or "body"


def check_structure(data: Any, max_depth: int = MAX_DEPTH) -> None:
    """Walk ``data`` without recursion; refuse too deep nesting and bad strings."""
    stack: list[tuple[Any, list[Any]]] = [(data, [])]
    while stack:
        value, path = stack.pop()
        if len(path) > max_depth:
            raise ApplicationError(
                _("请求数据嵌套过深（超过 %(n)d 层）。") % {"n": max_depth},
                code="too_deep",
                fields={"body": [_("嵌套过深")]},
            )
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                field = _path(path)
                message = _("文本过长（超过 %(n)d 个字符）。") % {"n": MAX_TEXT}
                raise ApplicationError(
                    f"{field}: {message}", code="too_long", fields={field: [message]}
                )
            if has_control_chars(value):
                _refuse_chars(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and has_control_chars(key):
                    _refuse_chars(key, path)
                stack.append((item, [*path, key]))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                stack.append((item, [*path, i]))


def _refuse_chars(value: str, path: list[Any]) -> None:
    field = _path(path)
    if CONTROL_CHARS.search(value):
        message = _("不能包含控制字符。")
        code = "control_characters"
    else:
        message = _("含有无效的 Unicode 字符（代理项）。")
        code = "invalid_encoding"
    raise ApplicationError(f"{field}: {message}", code=code, fields={field: [message]})


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is None:
            return None
        raw = stream.read(limit + 1) if limit else stream.read()
        if limit and len(raw) > limit:
            raise ApplicationError(
                _("请求数据过大（上限 %(mb)d MB）。") % {"mb": limit // 2**20},
                code="request_too_large",
                status=413,
            )
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError):
            raise ApplicationError(
                _("请求不是有效的 UTF-8 文本。"), code="invalid_encoding"
            ) from None
        try:
            data = json.loads(text, parse_constant=self._refuse_constant)
        except RecursionError:
            raise ApplicationError(
                _("请求数据嵌套过深（超过 %(n)d 层）。") % {"n": MAX_DEPTH},
                code="too_deep",
                fields={"body": [_("嵌套过深")]},
            ) from None
        except ValueError as exc:
            raise ApplicationError(
                _("JSON 格式错误：%(e)s") % {"e": exc}, code="parse_error"
            ) from None
        check_structure(data)
        return data

    @staticmethod
    def _refuse_constant(name: str) -> Any:
        raise ValueError(_("不接受 %(c)s") % {"c": name})


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputGuardMiddleware:
    """Refuse control characters in submitted form fields (pages and form API calls)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH") and request.content_type in _FORM_TYPES:
            from .error_views import error_response

            # A parse error (too large, too many fields) propagates to handler400.
            post = request.POST
            for key in post:
                for value in [key, *post.getlist(key)]:
                    if has_control_chars(value):
                        message = _("不能包含控制字符。")
                        error = ApplicationError(
                            f"{key}: {message}",
                            code="control_characters",
                            fields={key: [message]},
                        )
                        return error_response(request, error)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """An integer beyond what the database stores (a 20-digit id on SQLite raises
        OverflowError from the driver): a 400, not a 500."""
        if isinstance(exception, OverflowError):
            from .error_views import error_response

            error = ApplicationError(_("数值超出范围。"), code="out_of_range")
            return error_response(request, error)
        return None
