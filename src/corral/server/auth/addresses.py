"""The caller's address and the IP allowlists (hub-wide, per user, per key).

The address is the TCP peer's, unless that peer is one of the configured trusted
proxies: then ``X-Forwarded-For`` is read from the right, skipping trusted
proxies, and the first other address is the client's. A header from anyone else
is ignored (it would let a client choose its own address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from corral.errors import ValidationError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Iterable[str], *, field: str = "allowed_ips") -> list[Network]:
    """CIDR strings (or single addresses) as networks; a 422 naming the bad one."""
    out: list[Network] = []
    for i, raw in enumerate(values):
        text = str(raw).strip()
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError as e:
            raise ValidationError(
                f"{text!r} is not an IP network; write CIDR like 10.0.0.0/8 or 2001:db8::/32",
                errors=[{"loc": ["body", field, i], "msg": str(e), "type": "value_error"}],
            ) from e
    return out


def normalize_networks(values: Iterable[str], *, field: str = "allowed_ips") -> list[str]:
    """The canonical text of each network (``10.1.2.3`` -> ``10.1.2.3/32``)."""
    return [str(n) for n in parse_networks(values, field=field)]


def _address(text: str | None) -> Address | None:
    if not text:
        return None
    try:
        addr = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _within(addr: Address, networks: Sequence[Network]) -> bool:
    return any(addr.version == n.version and addr in n for n in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address as text ("" when unknown)."""
    addr = _address(peer)
    if addr is None:
        return peer or ""
    if not trusted or not forwarded_for or not _within(addr, trusted):
        return str(addr)
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        hop_addr = _address(hop)
        if hop_addr is None:
            # a garbled entry: trust stops here, the last good address is the client
            return str(addr)
        addr = hop_addr
        if not _within(addr, trusted):
            return str(addr)
    return str(addr)


def allowed(address: str, networks: Sequence[str] | Sequence[Network]) -> bool:
    """May ``address`` connect, given an allowlist (empty: everyone)?"""
    if not networks:
        return True
    addr = _address(address)
    if addr is None:
        return False
    nets = [
        n if not isinstance(n, str) else ipaddress.ip_network(n, strict=False) for n in networks
    ]
    return _within(addr, nets)
