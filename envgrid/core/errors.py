"""One error type for business rules, with a stable code (STYLE rule 6)."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refused action. `code` is stable (clients switch on it); `message` is for people."""

    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        fields: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class PermissionDeniedError(ApplicationError):
    status = 403

    def __init__(self, message: str, *, code: str = "permission_denied", **kw: Any) -> None:
        super().__init__(message, code=code, **kw)


class NotFoundError(ApplicationError):
    status = 404

    def __init__(self, message: str, *, code: str = "not_found", **kw: Any) -> None:
        super().__init__(message, code=code, **kw)


class ConflictError(ApplicationError):
    """The object changed under us (a concurrent accept/return, a double close)."""

    status = 409

    def __init__(self, message: str, *, code: str = "conflict", **kw: Any) -> None:
        super().__init__(message, code=code, **kw)
