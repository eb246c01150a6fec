"""A local S3 server for the team store's tests: moto's server mode on 127.0.0.1, in a
process of its own (as ArcticDB's own tests run it), and a fresh bucket a test."""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import time
import urllib.request

ACCESS, SECRET = "candleterm", "candleterm-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalS3:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the local S3 server (moto) did not start") from None
                time.sleep(0.1)
        import boto3

        self._s3 = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS,
                                aws_secret_access_key=SECRET, region_name="us-east-1")  # fmt: skip
        self._buckets = itertools.count(1)

    def bucket(self) -> str:
        """A new empty bucket; its store address."""
        name = f"desk-{next(self._buckets)}"
        self._s3.create_bucket(Bucket=name)
        return self.url(name)

    def url(self, bucket: str) -> str:
        return f"s3://127.0.0.1:{bucket}?port={self.port}&access={ACCESS}&secret={SECRET}"

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)
