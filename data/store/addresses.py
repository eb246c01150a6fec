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


S3_FORM = "s3://HOST:BUCKET?port=PORT&access=KEY&secret=SECRET"
_S3 = re.compile(r"^s3s?://(?P<where>[^?]*)")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def check_team_url(url: str) -> None:
    """A ValueError naming what is wrong with an S3 address and the form it takes (ArcticDB
    read s3://127.0.0.1:9:desk as bucket "9:desk" on port 80)."""
    found = _S3.match(url)
    if found is None:
        return
    host, colon, bucket = found["where"].partition(":")
    if not host or not colon or not bucket:
        raise ValueError(f"team store {shown(url)!r}: give the host and the bucket, {S3_FORM}")
    if ":" in bucket and bucket.split(":", 1)[0].isdigit():
        port, _, rest = bucket.partition(":")
        raise ValueError(f"team store {shown(url)!r}: give the port as ?port={port}, not after "
                         f"the host ({S3_FORM}: s3://{host}:{rest}?port={port}&...)")  # fmt: skip
    if not _BUCKET.match(bucket):
        raise ValueError(f"team store {shown(url)!r}: {bucket!r} is not a bucket name (3 to 63 "
                         "lower-case letters, digits, dots and hyphens); the form is "
                         f"{S3_FORM}")  # fmt: skip
