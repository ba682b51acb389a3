"""Canonical form of article URLs, so one story reached by several links is one row.

``canonical_url`` lowercases the scheme and host, drops the default port, the
fragment and tracking parameters (known click and campaign ids everywhere;
generic names such as ``ref`` only when their value names a channel, or on
the hosts known to use them for tracking), sorts what is left of the query and removes a
trailing slash from non-root paths. It is idempotent. It deliberately does not
follow redirects, strip ``www.``, or touch path case: those change which
resource is meant on some servers.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

# Parameters that only ever say where a click came from, on any site: ad
# click ids and campaign tags, names no site uses for anything else.
# Matched case-insensitively.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "ref_url",
        "spm",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "cmpid",
        "wt.mc_id",
        "wt_mc_id",
        "ncid",
        "sr_share",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "__twitter", "_ga")

# Generic names (``ref``, ``from``, ``source``) name the page itself on some
# sites (``?ref=123`` as an article id), so they are stripped only when their
# value names a channel, as in ``?ref=rss`` or ``?from=timeline``, or on the
# hosts below.
_GENERIC_PARAMS = frozenset({"ref", "from", "source", "referrer"})
_CHANNEL_VALUES = frozenset(
    {
        "rss", "feed", "feeds", "atom", "home", "homepage", "timeline", "newsletter",
        "email", "mail", "twitter", "facebook", "linkedin", "reddit", "hn",
        "hackernews", "share", "social", "copy", "direct",
    }
)  # fmt: skip

# Generic names that are tracking only on the hosts listed, each known to use
# them for the referrer or share channel and never to pick the page. A rule
# for a domain covers its subdomains. One test case per rule in
# tests/data/canonical_urls.json.
_HOST_TRACKING_PARAMS: dict[str, frozenset[str]] = {
    "amazon.com": frozenset({"ref", "ref_"}),
    "bilibili.com": frozenset({"spm_id_from", "vd_source", "share_source", "share_medium"}),
    "instagram.com": frozenset({"igsh"}),
    "linkedin.com": frozenset({"trk", "trackingid"}),
    "medium.com": frozenset({"source"}),
    "mp.weixin.qq.com": frozenset(
        {"scene", "sharer_shareinfo", "sharer_shareinfo_first", "from", "isappinstalled"}
    ),
    "open.spotify.com": frozenset({"si"}),
    "reuters.com": frozenset({"taid"}),
    "substack.com": frozenset({"r", "triedredirect"}),
    "techcrunch.com": frozenset({"guccounter", "guce_referrer", "guce_referrer_sig"}),
    "twitter.com": frozenset({"s", "t"}),
    "x.com": frozenset({"s", "t"}),
    "youtube.com": frozenset({"feature", "si"}),
    "youtu.be": frozenset({"feature", "si"}),
}
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Characters left unescaped in paths and query values; everything else is
# percent-encoded so equivalent spellings of one URL compare equal.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def _host_rules(host: str) -> frozenset[str]:
    """The host-specific tracking names for ``host`` or the nearest listed parent domain."""
    labels = host.split(".")
    for i in range(len(labels) - 1):
        rule = _HOST_TRACKING_PARAMS.get(".".join(labels[i:]))
        if rule is not None:
            return rule
    return frozenset()


def _is_tracking(name: str, value: str, host_rules: frozenset[str]) -> bool:
    lowered = name.lower()
    return (
        lowered in _TRACKING_PARAMS
        or lowered.startswith(_TRACKING_PREFIXES)
        or lowered in host_rules
        or (lowered in _GENERIC_PARAMS and value.strip().lower() in _CHANNEL_VALUES)
    )


def _normalise_path(path: str) -> str:
    # Re-quote after unquoting so "%7E" and "~" (or raw non-ASCII and its
    # escape) agree; "%2F" stays escaped because unquoting it changes meaning.
    parts = path.split("%2F") if "%2F" in path else [path]
    cleaned = "%2F".join(quote(unquote(p), safe=_PATH_SAFE.replace("%", "")) for p in parts)
    if not cleaned:
        return "/"
    if cleaned != "/" and cleaned.endswith("/") and not cleaned.endswith("//"):
        # "/post/" and "/post" are the same article on practically every CMS;
        # "//" may be meaningful (and stripping one would not be idempotent).
        cleaned = cleaned[:-1]
    return cleaned


def canonical_url(url: str) -> str:
    """Return the canonical spelling of ``url``; non-HTTP URLs come back stripped only."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        return url
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    if host and ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host  # credentials are dropped: never part of an article's identity
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    rules = _host_rules(host)
    query_pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(k, v, rules)
    ]
    query_pairs.sort()
    query = urlencode(query_pairs, quote_via=quote, safe="-._~")
    return urlunsplit((scheme, netloc, _normalise_path(parts.path), query, ""))


def absolute_http_url(raw: object, base: str) -> str | None:
    """``raw`` (a link as found in a document) made absolute against ``base``;
    None unless it is an http(s) URL."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        absolute = urljoin(base, raw.strip())
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    return absolute if scheme in ("http", "https") else None
