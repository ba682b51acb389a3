"""Which addresses a fetch may connect to: the SSRF guard.

``address_refusal`` says why an address is off limits (loopback, private,
link-local, CGNAT, multicast, unspecified; cloud metadata addresses always),
unwrapping IPv4 addresses embedded in IPv6 ones first (IPv4-mapped and
-compatible, NAT64, 6to4, Teredo). ``host_refusal`` refuses host names before
any lookup: the legacy numeric IPv4 spellings (``2130706433``, ``127.1``,
``0177.0.0.1``, ``0x7f.1``) that ``inet_aton`` and some resolvers still
accept, and the cloud metadata services' names. ``GuardedResolver`` applies
both inside aiohttp's connector, so a connection can only go to an address
that passed the check.

It does not look at ports or schemes, and it decides per address, never
per URL: the fetcher applies it on every hop of a redirect chain.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud instance metadata services: refused even when private networks are
# allowed, since reaching one hands out the machine's credentials.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle ...
        "169.254.170.2",  # AWS ECS task metadata and credentials
        "169.254.170.23",  # AWS EKS pod identity
        "169.254.0.23",  # Tencent Cloud
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer (a public address)
        "192.0.0.192",  # Oracle Cloud (legacy)
        "fd00:ec2::254",  # AWS over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity over IPv6
    )
)
_METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
    }
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use only
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d
# What inet_aton reads as a number: decimal, octal (leading 0) or 0x-hex parts.
_NUMERIC_PART = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)
_CANONICAL_PART = re.compile(r"(?:0|[1-9][0-9]{0,2})")


def host_refusal(host: str) -> str | None:
    """Why a URL's host must not be looked up or connected to, or None if it may.

    Refuses every host made only of numeric parts that is not a canonical
    dotted quad (``127.1``, ``2130706433``, ``0177.0.0.1``, ``0x7f.1``,
    ``127.0.0.1.``): resolvers disagree on what those mean, so whatever the
    installed aiohttp and libc do with them, they never reach either. Also
    refuses the metadata services' names. IP literals are not judged here
    (``address_refusal`` does that).
    """
    name = host.lower()
    if name.rstrip(".") in _METADATA_NAMES:
        return "a cloud metadata name"
    parts = name.split(".")
    if not all(_NUMERIC_PART.fullmatch(part) for part in parts[:-1]) or not (
        parts[-1] == "" or _NUMERIC_PART.fullmatch(parts[-1])
    ):
        return None
    canonical = len(parts) == 4 and all(
        _CANONICAL_PART.fullmatch(part) and int(part) <= 255 for part in parts
    )
    return None if canonical else "a non-canonical numeric IPv4 address"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to (mapped, NAT64, compatible, 6to4, Teredo)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client, where the packets end up
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(
    address: IPAddress, *, allow_private: bool, exempt: Sequence[IPNetwork] = ()
) -> str | None:
    """Why a connection to ``address`` must not be made, or None if it may.

    An IPv6 address that embeds an IPv4 one is judged as that IPv4 address.
    """
    if address in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            why = address_refusal(embedded, allow_private=allow_private, exempt=exempt)
            return None if why is None else f"{why} ({embedded}) inside an IPv6 address"
    if allow_private or any(address in net for net in exempt):
        return None
    if address in _NAT64_LOCAL:
        return "a local-use NAT64 address"
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
        why_not = host_refusal(host)
        if why_not is not None:
            raise BlockedAddressError(f"{host} is {why_not}")
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
