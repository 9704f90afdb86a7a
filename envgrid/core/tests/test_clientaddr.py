"""The client address, decided once (issue 16, part 4): what each ENVGRID_TRUSTED_PROXIES
form believes of X-Forwarded-For, and what it refuses to believe."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from envgrid.core.clientaddr import client_ip, parse_trusted_proxies
from envgrid.disclosure.ratelimit import client_address


def _request(remote: str = "127.0.0.1", forwarded: str | None = None):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.ENVGRID_TRUSTED_PROXIES = ""
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        ("1", "198.51.100.7", "198.51.100.7"),
        # The client forged entries on the left: only the one our proxy wrote counts.
        ("1", "1.1.1.1, 9.9.9.9, 198.51.100.7", "198.51.100.7"),
        ("2", "1.1.1.1, 198.51.100.7, 10.0.0.5", "198.51.100.7"),
        # Shorter than the configured chain: the proxy is not ours, believe nothing.
        ("2", "198.51.100.7", "127.0.0.1"),
        # Not an address (a forged or broken header): the socket peer, never the text.
        ("1", "evil", "127.0.0.1"),
        ("1", "198.51.100.7:51234", "198.51.100.7"),
        ("1", "[2001:db8::7]:443", "2001:db8::7"),
    ],
)
def test_a_proxy_count_takes_the_entry_the_outermost_proxy_wrote(
    settings, count, forwarded, expected
):
    settings.ENVGRID_TRUSTED_PROXIES = count
    assert client_ip(_request("127.0.0.1", forwarded)) == expected


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.2", "1.1.1.1, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        ("10.0.0.2", "10.0.0.3", "10.0.0.3"),  # only proxies: the outermost hop
        # A peer outside the trusted networks: its header is the client's own invention.
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
        ("10.0.0.2", "198.51.100.7, nonsense", "10.0.0.2"),
    ],
)
def test_trusted_networks_peel_our_proxies_off_from_the_right(
    settings, remote, forwarded, expected
):
    settings.ENVGRID_TRUSTED_PROXIES = "10.0.0.0/8, ::1"
    assert client_ip(_request(remote, forwarded)) == expected


def test_the_setting_is_a_count_or_networks_and_nothing_else():
    assert parse_trusted_proxies("").enabled is False
    assert parse_trusted_proxies("0").enabled is False
    assert parse_trusted_proxies("3").count == 3
    assert [str(n) for n in parse_trusted_proxies("127.0.0.1,10.1.2.3/8").networks] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
    ]
    with pytest.raises(ImproperlyConfigured):
        parse_trusted_proxies("nginx")


def test_the_petition_limit_and_axes_use_the_same_address(settings):
    from axes.helpers import get_client_ip_address

    settings.ENVGRID_TRUSTED_PROXIES = "1"
    request = _request("127.0.0.1", "6.6.6.6, 198.51.100.7")
    assert client_address(request) == "198.51.100.7"
    assert get_client_ip_address(request) == "198.51.100.7"
