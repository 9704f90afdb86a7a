"""The client's address, decided once: for the login lockout, the public rate limits and
the audit log alike.

Behind reverse proxies the socket peer (REMOTE_ADDR) is the nearest proxy, and every
request seems to come from it; the client's address is in X-Forwarded-For, which each
proxy extends with the address it received the request from. Only the entries written by
our own proxies can be believed — anything to their left was sent by the client and may
be forged. ENVGRID_TRUSTED_PROXIES says which entries those are, in one of two forms:

- a count, "1": that many proxies stand in front of the application; the client is the
  entry the outermost of them wrote (the count-th from the right);
- networks, "127.0.0.1/32,10.0.0.0/8": walking from REMOTE_ADDR leftwards, every address
  inside these networks is one of our proxies; the first address outside is the client.

Unset or "0": REMOTE_ADDR alone, and X-Forwarded-For is ignored (a client cannot dodge a
limit by sending the header). A header shorter than the configured chain, or an entry
that is not an IP address, also falls back to REMOTE_ADDR: a misconfigured proxy must not
let the client choose its own address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from . import rules
from .params import maybe_int

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# What client_ip answers when the server gives no usable peer address at all (never in
# practice under a WSGI server; a well-formed value keeps axes's IP column happy).
UNKNOWN = "0.0.0.0"  # noqa: S104 - a value, not an address to bind


@dataclass(frozen=True)
class TrustedProxies:
    count: int = 0
    networks: tuple[Network, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.count > 0 or bool(self.networks)


@lru_cache(maxsize=8)
def parse_trusted_proxies(value: str) -> TrustedProxies:
    """ "2" -> two proxies; "10.0.0.0/8, ::1" -> those networks; "" or "0" -> none."""
    text = str(value).strip()
    if not text:
        return TrustedProxies()
    count = maybe_int(text, lo=0, hi=100)
    if count is not None:
        return TrustedProxies(count=count)
    networks = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"ENVGRID_TRUSTED_PROXIES: {part!r} is neither a proxy count nor a network"
            ) from exc
    return TrustedProxies(networks=tuple(networks))


def trusted_proxies() -> TrustedProxies:
    return parse_trusted_proxies(str(rules.get("core.trusted_proxies") or ""))


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def client_ip(request: Any) -> str:
    """The client's IP address as text (also AXES_CLIENT_IP_CALLABLE)."""
    meta = request.META
    peer = _address(str(meta.get("REMOTE_ADDR", "") or ""))
    if peer is None:
        return UNKNOWN
    config = trusted_proxies()
    if not config.enabled:
        return str(peer)
    forwarded = [
        entry.strip()
        for entry in str(meta.get("HTTP_X_FORWARDED_FOR", "") or "").split(",")
        if entry.strip()
    ]
    if config.count:
        if len(forwarded) < config.count:
            return str(peer)
        chosen = _address(forwarded[-config.count])
        return str(chosen if chosen is not None else peer)
    # Networks: peel our proxies off from the right.
    if not any(peer in net for net in config.networks):
        return str(peer)  # not sent by one of our proxies: its header means nothing
    hop = peer
    for entry in reversed(forwarded):
        address = _address(entry)
        if address is None:
            return str(hop)
        hop = address
        if not any(address in net for net in config.networks):
            return str(address)
    return str(hop)
