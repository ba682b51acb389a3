"""Which addresses a fetch may connect to: the SSRF guard.

``address_refusal`` says why an address is off limits (loopback, private,
link-local, CGNAT, multicast, unspecified; cloud metadata addresses always),
unwrapping IPv4 addresses embedded in IPv6 ones first. ``GuardedResolver``
applies it inside aiohttp's connector, so a connection can only go to an
address that passed the check.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_refusal(
    address: IPAddress, *, allow_private: bool, exempt: Sequence[IPNetwork] = ()
) -> str | None:
    """Why a connection to ``address`` must not be made, or None if it may."""
    if address in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if embedded is not None:
            return address_refusal(embedded, allow_private=allow_private, exempt=exempt)
    if allow_private or any(address in net for net in exempt):
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "the unspecified address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a shared (CGNAT) address"
    if address.is_private or address.is_reserved or not address.is_global:
        return "a private address"
    return None


class BlockedAddressError(OSError):
    """Raised from the resolver; aiohttp wraps it in ClientConnectorDNSError."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GuardedResolver(AbstractResolver):
    """Resolves names, then drops every address the policy forbids.

    aiohttp connects only to the addresses a resolver returns (and caches
    exactly those), so filtering here closes the gap between checking an
    address and using it.
    """

    def __init__(self, allow_private: bool, exempt: Sequence[IPNetwork]) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private
        self._exempt = tuple(exempt)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        resolved = await self._inner.resolve(host, port, family)
        kept: list[ResolveResult] = []
        refusal = "no address"
        for result in resolved:
            why = address_refusal(
                ipaddress.ip_address(result["host"].split("%", 1)[0]),
                allow_private=self._allow_private,
                exempt=self._exempt,
            )
            if why is None:
                kept.append(result)
            else:
                refusal = f"{host} resolves to {result['host']}, {why}"
        if not kept:
            raise BlockedAddressError(refusal)
        return kept

    async def close(self) -> None:
        await self._inner.close()
