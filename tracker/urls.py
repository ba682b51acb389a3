"""Canonical form of article URLs, so one story reached by several links is one row.

``canonical_url`` lowercases the scheme and host, drops the default port, the
fragment and tracking parameters, sorts what is left of the query and removes a
trailing slash from non-root paths. It is idempotent. It deliberately does not
follow redirects, strip ``www.``, or touch path case: those change which
resource is meant on some servers.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

# Parameters that only say where a click came from. Matched case-insensitively.
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
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "spm",
        "from",
        "source",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "rss",
        "cmpid",
        "share",
        "scene",  # WeChat share links
        "sharer_shareinfo",
        "sharer_shareinfo_first",
        "wt.mc_id",
        "wt_mc_id",
        "ncid",
        "sr_share",
        "feature",  # youtube share=feature
        "si",  # spotify / youtube share ids
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "__twitter", "_ga")

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Characters left unescaped in paths and query values; everything else is
# percent-encoded so equivalent spellings of one URL compare equal.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


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
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
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
