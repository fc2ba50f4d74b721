"""URL canonicalisation: one spelling per article, so one article is one item.

courlan normalises (scheme and host case, default ports, percent-encoding, its own list
of tracking parameters); we then apply our own rules on top, because courlan's list is
not ours to rely on: French news sites tag feed links with AT Internet's ``xtor`` and
``at_*`` parameters, which Miniflux's cleaner misses too.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import courlan

__all__ = ["canonical_url", "TRACKING_PARAMETERS"]

# Exact names, then prefixes (utm_*, at_*).
TRACKING_PARAMETERS = frozenset({"xtor", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid",
                                 "igshid", "_ga", "yclid", "xts", "xtref", "ns_source", "ns_mchannel"})
TRACKING_PREFIXES = ("utm_", "at_")


def _tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The canonical form of ``url``: lower-case host, no fragment, no tracking, sorted query.

    >>> canonical_url("HTTPS://WWW.Exemple.fr/a?b=2&utm_source=rss&a=1#xtor=RSS-3")
    'https://www.exemple.fr/a?a=1&b=2'
    """
    url = url.strip()
    try:
        normalized = courlan.normalize_url(url)
    except (ValueError, AttributeError):
        normalized = url
    try:
        parts = urlsplit(normalized)
    except ValueError:  # e.g. "http://[/": nothing to normalise; never stored as a link anyway
        return url
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k))
    netloc = parts.netloc.lower()
    netloc = re.sub(r":(80)$", "", netloc) if parts.scheme == "http" else re.sub(r":(443)$", "", netloc)
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))
