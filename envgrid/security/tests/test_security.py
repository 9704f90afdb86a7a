"""Login security (issue 12, item 6): throttling, password rules, idle timeout, security
headers and the optional TOTP second factor for office staff and administrators."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from envgrid.core.models import AuditEvent
from envgrid.security import totp
from envgrid.security.models import TOTPDevice

PW = "pw-Test-12345"
SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SH)
pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str = PW):
    return client.post("/accounts/login/", {"username": username, "password": password})


# --- RFC 6238 -------------------------------------------------------------------------

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # b"12345678901234567890"


@pytest.mark.parametrize(
    ("at", "code"), [(59, "287082"), (1111111109, "081804"), (1234567890, "005924")]
)
def test_totp_matches_the_rfc_6238_test_vectors(at, code):
    assert totp.totp(RFC_SECRET, at) == code


def test_totp_accepts_one_step_of_drift_and_nothing_else():
    assert totp.match_step(RFC_SECRET, "287082", at=59 + 30) == 1
    assert totp.match_step(RFC_SECRET, "287082", at=59 + 90) is None
    assert totp.match_step(RFC_SECRET, "28708", at=59) is None
    assert totp.match_step(RFC_SECRET, "abcdef", at=59) is None
    uri = totp.provisioning_uri(RFC_SECRET, account="张三")
    assert uri.startswith("otpauth://totp/envgrid%3A") and f"secret={RFC_SECRET}" in uri


# --- throttling -------------------------------------------------------------------------


def test_login_locked_after_five_failures_with_a_chinese_message(world, settings):
    client = Client()
    user = world.office_staff.user
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        r = login(client, user.username, "wrong-password")
        assert r.status_code == 200 and "用户名或密码不正确" in r.content.decode()
    r = login(client, user.username, "wrong-password")
    assert r.status_code == 429
    assert "连续 5 次登录失败" in r.content.decode() and "15 分钟后再试" in r.content.decode()
    # Locked even with the right password, on the page and for API tokens.
    assert login(client, user.username).status_code == 429
    r = Client().post("/api/auth/token/", {"username": user.username, "password": PW})
    assert r.status_code == 429
    assert "token" not in r.json()
    # Another account from the same address is not locked.
    assert login(Client(), world.director.user.username).status_code == 302


def test_lock_lifts_after_the_cool_off(world):
    user = world.member_staff[0].user
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            login(Client(), user.username, "wrong")
        assert login(Client(), user.username).status_code == 429
    with time_machine.travel(T0 + dt.timedelta(minutes=16), tick=False):
        assert login(Client(), user.username).status_code == 302


def test_password_validators_refuse_short_common_and_numeric_passwords():
    for weak in ("12345678", "password123", "short1!", "8208208208"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("网格-Supervision-2026")


# --- session ----------------------------------------------------------------------------


def test_session_ends_after_idle_time_but_not_while_in_use(world, settings):
    client = Client()
    with time_machine.travel(T0, tick=False):
        assert login(client, world.member_staff[0].user.username).status_code == 302
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(T0 + dt.timedelta(minutes=45), tick=False):
        assert client.get("/").status_code == 200  # 25 minutes after the last request
    with time_machine.travel(T0 + dt.timedelta(minutes=80), tick=False):
        r = client.get("/inbox/")
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=")
        assert client.get("/").status_code == 302


# --- headers ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/docs/", "/disclosure/"])
def test_pages_carry_csp_and_security_headers(client, path):
    r = client.get(path)
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["X-Frame-Options"] == "DENY"
    assert r["Referrer-Policy"] == "same-origin"
    assert "camera=()" in r["Permissions-Policy"]


# --- TOTP -------------------------------------------------------------------------------


def _enrol(client: Client) -> str:
    r = client.post("/security/totp/", {"op": "start"})
    assert r.status_code == 200
    secret = TOTPDevice.objects.get().secret
    assert secret in r.content.decode() and "otpauth://totp/" in r.content.decode()
    r = client.post("/security/totp/", {"op": "confirm", "code": totp.totp(secret)})
    assert r.status_code == 302
    return secret


def test_office_staff_enrol_then_login_needs_the_code(world):
    user = world.office_staff.user
    client = Client()
    with time_machine.travel(T0, tick=False):
        login(client, user.username)
        assert client.get("/security/totp/").status_code == 200
        client.post("/security/totp/", {"op": "start"})
        bad = client.post("/security/totp/", {"op": "confirm", "code": "000000"})
        assert bad.status_code == 400 and "动态口令不正确" in bad.content.decode()
        secret = TOTPDevice.objects.get(user=user).secret
        ok = client.post("/security/totp/", {"op": "confirm", "code": totp.totp(secret)})
        assert ok.status_code == 302
    assert TOTPDevice.objects.get(user=user).confirmed
    assert AuditEvent.objects.filter(action="totp.enable").count() == 1

    fresh = Client()
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        assert login(fresh, user.username).status_code == 302
        r = fresh.get("/inbox/")
        assert r.status_code == 302 and r["Location"].startswith("/security/totp/verify/")
        api = fresh.get("/api/org/units/")
        assert api.status_code == 403 and api.json()["code"] == "totp_required"
        wrong = fresh.post("/security/totp/verify/", {"code": "123456", "next": "/inbox/"})
        assert wrong.status_code == 400
        code = totp.totp(secret)
        ok = fresh.post("/security/totp/verify/", {"code": code, "next": "/inbox/"})
        assert ok.status_code == 302 and ok["Location"] == "/inbox/"
        assert fresh.get("/inbox/").status_code == 200
        assert fresh.get("/api/org/units/").status_code == 200

        # The same code cannot be used twice (RFC 6238 §5.2).
        replay = Client()
        login(replay, user.username)
        assert replay.post("/security/totp/verify/", {"code": code}).status_code == 400
        assert replay.get("/inbox/").status_code == 302


def test_verify_page_refuses_a_foreign_next_url(world):
    user = world.director.user
    client = Client()
    with time_machine.travel(T0, tick=False):
        login(client, user.username)
        secret = _enrol(client)
    with time_machine.travel(T0 + dt.timedelta(minutes=2), tick=False):
        other = Client()
        login(other, user.username)
        r = other.post(
            "/security/totp/verify/", {"code": totp.totp(secret), "next": "https://evil.example/"}
        )
        assert r.status_code == 302 and r["Location"] == "/"


def test_administrator_may_enrol_but_unit_staff_may_not(world):
    admin = Client()
    admin.force_login(world.admin)
    assert admin.get("/security/totp/").status_code == 200
    unit = Client()
    unit.force_login(world.member_staff[0].user)
    r = unit.get("/security/totp/")
    assert r.status_code == 403 and "只有领导小组办公室工作人员和系统管理员" in r.content.decode()
    assert unit.post("/security/totp/", {"op": "start"}).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_disable_needs_a_current_code(world):
    user = world.office_staff.user
    client = Client()
    with time_machine.travel(T0, tick=False):
        login(client, user.username)
        secret = _enrol(client)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        assert (
            client.post("/security/totp/", {"op": "disable", "code": "000000"}).status_code == 400
        )
        r = client.post("/security/totp/", {"op": "disable", "code": totp.totp(secret)})
        assert r.status_code == 302
    assert not TOTPDevice.objects.exists()
    assert AuditEvent.objects.filter(action="totp.disable").count() == 1


def test_api_token_for_a_totp_account_needs_a_fresh_code(world):
    """The token endpoint is the API's login: with TOTP enabled a password alone gets 403
    totp_required, a wrong or replayed code 400, a fresh code the token."""
    user = world.office_staff.user
    device = TOTPDevice.objects.create(user=user, secret=totp.random_secret(), confirmed_at=T0)
    api = Client()
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        creds = {"username": user.username, "password": PW}
        bare = api.post("/api/auth/token/", creds)
        assert bare.status_code == 403 and bare.json()["code"] == "totp_required"
        wrong = api.post("/api/auth/token/", {**creds, "totp": "000000"})
        assert wrong.status_code == 400 and wrong.json()["code"] == "totp_invalid"
        code = totp.totp(device.secret)
        ok = api.post("/api/auth/token/", {**creds, "totp": code})
        assert ok.status_code == 200 and len(ok.json()["token"]) == 40
        again = api.post("/api/auth/token/", {**creds, "totp": code})
        assert again.status_code == 400
    # Accounts without TOTP are unchanged: the password gets the token.
    other = world.member_staff[0].user
    plain = api.post("/api/auth/token/", {"username": other.username, "password": PW})
    assert plain.status_code == 200 and plain.json()["token"]


def test_no_template_carries_an_inline_script_or_handler():
    """script-src is 'self' only: an inline <script> or on*= handler in a template would
    silently stop working in the browser, so none may come back."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("templates/**/*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if inline.search(line) or handler.search(line) or "javascript:" in line
    ]
    assert offenders == []
    from django.conf import settings

    assert "script-src 'self';" in settings.ENVGRID_CSP + ";"
