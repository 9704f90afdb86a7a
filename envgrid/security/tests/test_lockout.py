"""The login lockout counts per account and per address (issue 16, part 4): spraying from
one address is throttled, a guesser elsewhere locks only themselves (and slows the
account by a short, documented delay), and a lock is a 429 on the page and the API alike.
The addresses are the clients' as core.clientaddr decides (here: REMOTE_ADDR)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from envgrid.core.models import AuditEvent
from envgrid.testing import make_user

PW = "pw-Test-12345"
T0 = dt.datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
pytestmark = pytest.mark.django_db

ATTACKER = "198.51.100.66"
VICTIM = "203.0.113.10"


def web(username: str, password: str, ip: str):
    return Client(REMOTE_ADDR=ip).post(
        "/accounts/login/", {"username": username, "password": password}
    )


def token(username: str, password: str, ip: str):
    return Client(REMOTE_ADDR=ip).post(
        "/api/auth/token/", {"username": username, "password": password}
    )


def test_a_guesser_locks_the_pair_not_the_victim_at_another_address(world):
    user = world.member_staff[0].user
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            assert web(user.username, "wrong-password", ATTACKER).status_code == 200
        assert web(user.username, "wrong-password", ATTACKER).status_code == 429
        assert web(user.username, PW, ATTACKER).status_code == 429
        # The victim, elsewhere, logs in at once.
        assert web(user.username, PW, VICTIM).status_code == 302


def test_locked_login_is_429_with_the_same_code_on_the_page_and_the_token_endpoint(world):
    user = world.member_staff[0].user
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            token(user.username, "wrong-password", ATTACKER)
        api = token(user.username, PW, ATTACKER)
        assert api.status_code == 429
        assert api.json()["code"] == "login_locked"
        assert "15 分钟后再试" in api.json()["message"]
        assert int(api["Retry-After"]) == 15 * 60
        assert "token" not in api.json()
        page = web(user.username, PW, ATTACKER)
        assert page.status_code == 429
        assert "连续 5 次登录失败" in page.content.decode()


def test_password_spraying_from_one_address_is_locked(world, settings):
    settings.ENVGRID_LOGIN_ADDRESS_FAILURE_LIMIT = 20
    users = [make_user(f"spray{i}") for i in range(15)]
    with time_machine.travel(T0, tick=False):
        failures = 0
        for user in users:  # 60 attempts planned, 4 per account: no pair lock ever
            for _ in range(4):
                r = web(user.username, "Spring2026!", ATTACKER)
                if r.status_code == 429:
                    break
                assert r.status_code == 200
                failures += 1
            else:
                continue
            break
        assert failures == 20
        # Locked for every account from that address, even with a right password ...
        r = token(world.director.user.username, PW, ATTACKER)
        assert r.status_code == 429
        assert r.json()["code"] == "address_locked"
        assert web(world.director.user.username, PW, ATTACKER).status_code == 429
        # ... and for nobody else.
        assert web(users[0].username, PW, VICTIM).status_code == 302
    with time_machine.travel(T0 + dt.timedelta(minutes=16), tick=False):
        assert web(world.director.user.username, PW, ATTACKER).status_code == 302


def test_guessing_one_account_from_many_addresses_only_delays_it(world, settings):
    """Distributed guessing: 10 failures from all addresses slow the account to one try
    per ENVGRID_LOGIN_ACCOUNT_DELAY_SECONDS from new addresses; at most that delay for
    the user, and none at an address they logged in from before."""
    settings.ENVGRID_LOGIN_ACCOUNT_FAILURE_LIMIT = 10
    settings.ENVGRID_LOGIN_ACCOUNT_DELAY_SECONDS = 30
    user = world.member_staff[0].user
    home = "203.0.113.77"
    with time_machine.travel(T0 - dt.timedelta(days=2), tick=False):
        assert web(user.username, PW, home).status_code == 302
    with time_machine.travel(T0, tick=False):
        for i in range(10):  # two failures each from five addresses
            assert web(user.username, "wrong-password", f"198.51.100.{i // 2}").status_code == 200
        slowed = token(user.username, PW, VICTIM)
        assert slowed.status_code == 429
        assert slowed.json()["code"] == "login_slowed"
        assert int(slowed["Retry-After"]) == 30
        page = web(user.username, PW, "198.51.100.200")
        assert page.status_code == 429
        assert "30 秒后再试" in page.content.decode()
        # At the address the user logged in from, no delay at all.
        assert web(user.username, PW, home).status_code == 302
    with time_machine.travel(T0 + dt.timedelta(seconds=31), tick=False):
        assert web(user.username, PW, VICTIM).status_code == 302


def test_a_complete_login_is_audited_with_the_client_address(world):
    user = world.member_staff[0].user
    with time_machine.travel(T0, tick=False):
        assert web(user.username, PW, VICTIM).status_code == 302
        assert token(user.username, PW, "2001:db8::5").status_code == 200
    events = AuditEvent.objects.filter(action="auth.login", actor=user).order_by("seq")
    assert [(e.after["ip"], e.after["via"]) for e in events] == [
        (VICTIM, "web"),
        ("2001:db8::5", "token"),
    ]
