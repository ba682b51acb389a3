"""All HTTP of a refresh: :mod:`~tracker.fetch.fetcher` (one aiohttp session,
caps, redirects, robots.txt, conditional requests) and
:mod:`~tracker.fetch.guard` (which addresses may be reached)."""

from tracker.fetch.fetcher import USER_AGENT, Fetcher, FetchPolicy
from tracker.fetch.guard import address_refusal, host_refusal

__all__ = ["USER_AGENT", "FetchPolicy", "Fetcher", "address_refusal", "host_refusal"]
