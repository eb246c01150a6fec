"""Where a store is: a DuckDB file path (the embedded store), or a team store's address,
`s3://HOST:BUCKET?port=..&access=..&secret=..` or `lmdb://PATH` (ArcticDB). Told apart
without loading either backend."""

from __future__ import annotations

import re

TEAM_URL = re.compile(r"^(s3s?|lmdb)://")


def is_team_url(where: object) -> bool:
    return isinstance(where, str) and bool(TEAM_URL.match(where))


def shown(url: str) -> str:
    """An address without its secret key (for messages and logs)."""
    return re.sub(r"(secret=)[^&]*", r"\1***", url)


def cache_of(url: str) -> tuple[str, str | None]:
    """(the address without its `cache=PATH` parameter, that path or None): a team store
    read through a local cache file is `s3://...&cache=PATH` (or `lmdb://...?cache=PATH`)."""
    base, _, query = url.partition("?")
    params = [p for p in query.split("&") if p]
    cache = next((p.removeprefix("cache=") for p in params if p.startswith("cache=")), None)
    rest = [p for p in params if not p.startswith("cache=")]
    return base + ("?" + "&".join(rest) if rest else ""), cache
