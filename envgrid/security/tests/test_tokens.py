"""A second factor that holds (issue 16, part 5): TOTP codes are limited like passwords,
API tokens expire, are revoked by enabling TOTP and by a password change, are listed and
revoked by their owner and by administrators, and their use is audited."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from envgrid.core.models import AuditEvent
from envgrid.security import totp
from envgrid.security.models import ApiToken, TOTPDevice

PW = "pw-Test-12345"
T0 = dt.datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
IP = "203.0.113.5"
pytestmark = pytest.mark.django_db


def get_token(username: str, ip: str = IP, **extra: str) -> str:
    r = Client(REMOTE_ADDR=ip).post(
        "/api/auth/token/", {"username": username, "password": PW, **extra}
    )
    assert r.status_code == 200, r.content
    return r.json()["token"]


def call(key: str, path: str = "/api/org/me/", ip: str = IP, method: str = "get"):
    return getattr(Client(REMOTE_ADDR=ip), method)(path, HTTP_AUTHORIZATION=f"Token {key}")


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, secret=totp.random_secret(), confirmed_at=T0)


# --- TOTP attempts -------------------------------------------------------------------


def test_wrong_codes_on_the_verify_page_lock_like_wrong_passwords(world):
    user = world.office_staff.user
    device = enrolled(user)
    client = Client(REMOTE_ADDR=IP)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        assert client.post("/accounts/login/", {"username": user.username, "password": PW})[
            "Location"
        ].startswith("/")
        for _ in range(4):
            assert client.post("/security/totp/verify/", {"code": "000000"}).status_code == 400
        locked = client.post("/security/totp/verify/", {"code": "000000"})
        assert locked.status_code == 429
        assert "连续 5 次登录失败" in locked.content.decode()
        # The half-open session is over; the password is locked too, even with the code.
        assert client.get("/inbox/").status_code == 302
        again = Client(REMOTE_ADDR=IP).post(
            "/accounts/login/", {"username": user.username, "password": PW}
        )
        assert again.status_code == 429
        assert totp.totp(device.secret)  # a right code would not be reached


def test_a_correct_password_does_not_reset_the_count_of_wrong_codes(world):
    user = world.office_staff.user
    enrolled(user)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        for _ in range(2):  # two logins with the right password, two wrong codes each
            client = Client(REMOTE_ADDR=IP)
            client.post("/accounts/login/", {"username": user.username, "password": PW})
            for _ in range(2):
                assert client.post("/security/totp/verify/", {"code": "000000"}).status_code == 400
        client = Client(REMOTE_ADDR=IP)
        client.post("/accounts/login/", {"username": user.username, "password": PW})
        assert client.post("/security/totp/verify/", {"code": "000000"}).status_code == 429


def test_wrong_codes_at_the_token_endpoint_lock_with_429(world):
    user = world.office_staff.user
    device = enrolled(user)
    creds = {"username": user.username, "password": PW}
    api = Client(REMOTE_ADDR=IP)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        for _ in range(4):
            r = api.post("/api/auth/token/", {**creds, "totp": "000000"})
            assert r.json()["code"] == "totp_invalid"
        r = api.post("/api/auth/token/", {**creds, "totp": "000000"})
        assert (r.status_code, r.json()["code"]) == (429, "login_locked")
        right = api.post("/api/auth/token/", {**creds, "totp": totp.totp(device.secret)})
        assert right.status_code == 429
        assert "token" not in right.json()
    assert not ApiToken.objects.exists()


# --- tokens: expiry and revocation ---------------------------------------------------


def test_tokens_expire_after_the_configured_hours(world, settings):
    settings.ENVGRID_TOKEN_HOURS = 12
    user = world.member_staff[0].user
    with time_machine.travel(T0, tick=False):
        key = get_token(user.username)
    with time_machine.travel(T0 + dt.timedelta(hours=11, minutes=59), tick=False):
        assert call(key).status_code == 200
    with time_machine.travel(T0 + dt.timedelta(hours=12, minutes=1), tick=False):
        r = call(key)
        assert (r.status_code, r.json()["code"]) == (403, "token_expired")


def test_enabling_totp_revokes_the_tokens_issued_before(world):
    user = world.office_staff.user
    client = Client(REMOTE_ADDR=IP)
    with time_machine.travel(T0, tick=False):
        key = get_token(user.username)
        assert call(key).status_code == 200
        client.force_login(user)
        client.post("/security/totp/", {"op": "start"})
        secret = TOTPDevice.objects.get(user=user).secret
        assert (
            client.post("/security/totp/", {"op": "confirm", "code": totp.totp(secret)}).status_code
            == 302
        )
        r = call(key)
        assert (r.status_code, r.json()["code"]) == (403, "token_revoked")
    token = ApiToken.objects.get()
    assert token.revoked_reason == "totp_enabled"
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).count() == 1


def test_changing_the_password_revokes_existing_tokens(world):
    user = world.member_staff[0].user
    with time_machine.travel(T0, tick=False):
        key = get_token(user.username)
        user.set_password("Another-pw-2026!")
        user.save()
        listed = Client()
        listed.force_login(user)
        assert listed.get("/api/auth/tokens/").json()[0]["state"] == "revoked"
        r = call(key)
        assert (r.status_code, r.json()["code"]) == (403, "token_password_changed")
    assert ApiToken.objects.get().revoked_reason == "password_changed"


def test_the_key_is_not_stored(world):
    key = get_token(world.member_staff[0].user.username)
    token = ApiToken.objects.get()
    assert len(key) == 40
    assert key not in {token.digest, token.prefix, token.auth_hash}
    assert token.prefix == key[:8]


# --- listing and revoking ------------------------------------------------------------


def test_owner_lists_and_revokes_own_tokens_only(world):
    owner, other = world.member_staff[0].user, world.member_staff[1].user
    with time_machine.travel(T0, tick=False):
        mine = get_token(owner.username)
        theirs = get_token(other.username)
        listed = call(mine, "/api/auth/tokens/").json()
        assert [(t["username"], t["state"]) for t in listed] == [(owner.username, "active")]
        their_pk = ApiToken.objects.get(user=other).pk
        refused = call(mine, f"/api/auth/tokens/{their_pk}/revoke/", method="post")
        assert refused.status_code == 404
        assert call(theirs).status_code == 200
        my_pk = listed[0]["id"]
        done = call(mine, f"/api/auth/tokens/{my_pk}/revoke/", method="post")
        assert (done.status_code, done.json()["state"]) == (200, "revoked")
        assert call(mine).json()["code"] == "token_revoked"
    assert ApiToken.objects.get(pk=my_pk).revoked_reason == "owner"


def test_administrator_lists_everyones_tokens_and_revokes_any(world):
    user = world.member_staff[0].user
    key = get_token(user.username)
    get_token(world.member_staff[1].user.username)
    admin = Client()
    admin.force_login(world.admin)
    assert len(admin.get("/api/auth/tokens/").json()) == 2
    pk = ApiToken.objects.get(user=user).pk
    r = admin.post(f"/api/auth/tokens/{pk}/revoke/")
    assert r.status_code == 200
    assert call(key).json()["code"] == "token_revoked"
    token = ApiToken.objects.get(pk=pk)
    assert (token.revoked_reason, token.revoked_by) == ("admin", world.admin)
    assert admin.post(f"/api/auth/tokens/{pk}/revoke/").json()["code"] == "token_revoked"


def test_the_tokens_page_lists_revokes_and_exports(world):
    user = world.member_staff[0].user
    key = get_token(user.username)
    get_token(world.member_staff[1].user.username)
    page = Client()
    page.force_login(user)
    r = page.get("/security/tokens/")
    assert r.status_code == 200
    assert r.content.decode().count('data-state="active"') == 1
    assert key[:8] in r.content.decode()
    export = page.get("/security/tokens/?format=xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [row[:3] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        (user.username, key[:8], "有效")
    ]
    pk = ApiToken.objects.get(user=user).pk
    assert page.post(f"/security/tokens/{pk}/revoke/").status_code == 302
    assert 'data-state="revoked"' in page.get("/security/tokens/").content.decode()
    assert call(key).json()["code"] == "token_revoked"
    other_pk = ApiToken.objects.get(user=world.member_staff[1].user).pk
    assert page.post(f"/security/tokens/{other_pk}/revoke/").status_code == 404


# --- audit ---------------------------------------------------------------------------


def test_token_issue_and_use_are_audited_with_the_client_address(world, settings):
    settings.ENVGRID_TOKEN_USE_AUDIT_SECONDS = 300
    user = world.member_staff[0].user
    with time_machine.travel(T0, tick=False):
        key = get_token(user.username)
        call(key)
        call(key)  # same address, within five minutes: not again
        call(key, ip="198.51.100.9")  # another address: recorded
    with time_machine.travel(T0 + dt.timedelta(minutes=6), tick=False):
        call(key, ip="198.51.100.9")
    events = AuditEvent.objects.filter(action__startswith="token.").order_by("seq")
    assert [(e.action, e.after["ip"]) for e in events] == [
        ("token.issue", IP),
        ("token.use", IP),
        ("token.use", "198.51.100.9"),
        ("token.use", "198.51.100.9"),
    ]
    token = ApiToken.objects.get()
    assert token.last_used_ip == "198.51.100.9"
