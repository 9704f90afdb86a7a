"""API plumbing shared by every app: errors as {code, message, fields}, pagination, scoping."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError, canonical_code


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            msg = _first_message(value)
            return f"{key}: {msg}" if key not in ("non_field_errors", "detail") else msg
        return ""
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is JSON {code, canonical, message, fields} (core.errors: ``canonical`` is
    the vocabulary's name for ``code``); nothing leaks as a 500 for bad input."""
    response = _error_response(exc, context)
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        data.setdefault("canonical", canonical_code(data["code"]))
    return response


def _error_response(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, OverflowError):
        # An integer beyond what the database stores (a 20-digit id on SQLite).
        return Response(
            {"code": "out_of_range", "message": _("数值超出范围。"), "fields": {}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, (SuspiciousOperation, MultiPartParserError, RecursionError, UnicodeError)):
        # What the request parser can raise (too large, too many fields, undecodable,
        # too deep): the same answer as handler400 gives outside DRF (issue 16).
        from .error_views import as_application_error

        error = as_application_error(exc, 400)
        return Response(error.as_dict(), status=error.status)
    if isinstance(exc, DjangoValidationError):
        fields: Any = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return Response(
            {"code": "invalid", "message": message, "fields": fields},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, IntegrityError):
        return Response(
            {"code": "conflict", "message": _("数据冲突：记录已存在或已被修改。"), "fields": {}},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("未找到，或无权查看。"))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail: Any = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = {
            "code": "invalid",
            "message": _first_message(exc.detail) or _("输入有误"),
            "fields": fields,
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "code": codes if isinstance(codes, str) else "error",
            "message": str(exc.detail),
            "fields": {},
        }
    return response


class ScopedQuerysetMixin:
    """List and detail reads start from what the caller may see (STYLE rule 3):
    an object outside the scope answers 404, never 403, so ids cannot be probed."""

    policy: Any = None

    def get_queryset(self):
        base = super().get_queryset()  # type: ignore[misc]
        return self.policy.scope(self.request.user, base)  # type: ignore[attr-defined]
