"""What counts as one address for the password throttle: one IPv4 address, one IPv6 /64.

An IPv6 host is usually given a whole /64, so counting its addresses one by one would give
an attacker 2**64 fresh counts; an IPv4-mapped IPv6 address (``::ffff:10.0.0.1``, what a
dual-stack socket shows for an IPv4 client) is the IPv4 address it maps.
"""

from __future__ import annotations

import ipaddress

IPV6_PREFIX = 64
"""Bits of an IPv6 address that name one host (or one site's subnet) for the throttle."""


def address_key(host: str) -> str:
    """The throttle's key for ``host``: the IPv4 address, or the IPv6 /64 it lies in
    (``2001:db8:1:2::/64``); a host that is not an IP address is its own key."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])  # no zone index (fe80::1%eth0)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
