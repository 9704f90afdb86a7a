"""RFC 6238 time-based one-time passwords (HOTP of RFC 4226 over 30-second steps).

Written with hmac/hashlib so the second factor needs no extra dependency; it is what
authenticator apps (FreeOTP, Google Authenticator, Microsoft Authenticator) expect:
SHA-1, 6 digits, 30 seconds, a base32 secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

STEP = 30
DIGITS = 6


def random_secret(nbytes: int = 20) -> str:
    """A new base32 secret (160 bits, as RFC 4226 recommends), without padding."""
    return base64.b32encode(secrets.token_bytes(nbytes)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def time_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP)


def totp(secret: str, at: float | None = None) -> str:
    return hotp(_key(secret), time_step(at))


def match_step(secret: str, code: str, *, at: float | None = None, window: int = 1) -> int | None:
    """The time step `code` belongs to (now ± `window` steps, for clock drift), or None."""
    code = "".join(ch for ch in str(code) if not ch.isspace())
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = _key(secret)
    now = time_step(at)
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str = "envgrid") -> str:
    """The otpauth:// URI an authenticator app imports (Key Uri Format)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP}
    )
    return f"otpauth://totp/{label}?{query}"
