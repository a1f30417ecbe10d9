"""One bounded, resumable HTTP(S) download, on urllib3.

urllib3's ``Retry`` is the one retry policy: it retries refused or dropped connections and
429/5xx answers with exponential backoff inside each request, and this module hands it the
failures it cannot see (a body cut off, stalled or short of its Content-Length), then asks
again with ``Range: bytes=N-`` so what arrived is kept; a server that answers with the whole
file instead starts it over. Every read waits at most the stall timeout, a watchdog shuts the
connection at the deadline, and no more than the byte cap is ever written.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

import urllib3
from urllib3.exceptions import (HTTPError, MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError,
                               URLSchemeUnknown)

from playground.errors import PlaygroundError

if TYPE_CHECKING:
    from playground.corpora import Limits

CHUNK = 1 << 20
RETRY_STATUSES = (408, 429, 500, 502, 503, 504)
Progress = Callable[[str, int, "int | None"], None]  # (label, bytes done, bytes total)


def download(url: str, dest: Path, limits: Limits, progress: Progress | None = None) -> str:
    """Download ``url`` to ``dest`` within ``limits``; return the sha256 of what arrived.

    On failure ``dest`` may hold part of the body: callers download into a temporary folder.
    """
    deadline = _Deadline(limits.deadline_s)
    retry = _policy(limits)
    try:
        with deadline, open(dest, "wb") as out:
            body = _Body(url, out, limits, progress)
            http = _manager(url, deadline, limits)
            while not body.complete and not deadline.fired:
                retry = body.fetch(http, retry)
    except (PlaygroundError, HTTPError, OSError, ValueError) as exc:
        raise _failure(url, exc, limits, deadline.fired, retry) from None
    if deadline.fired:  # the read the deadline cut short looked like the end of the body
        raise _failure(url, None, limits, True, retry)
    return body.digest.hexdigest()


def _policy(limits: Limits) -> urllib3.Retry:
    tries = limits.retries
    return urllib3.Retry(total=None, connect=tries, read=tries, status=tries, other=tries, redirect=10,
                         allowed_methods={"GET"}, status_forcelist=RETRY_STATUSES, raise_on_status=False,
                         backoff_factor=limits.backoff_s, backoff_max=30,
                         respect_retry_after_header=False)  # a Retry-After of hours would outwait the deadline


class _Body:
    """The file as it arrives over one or more requests, each resuming where the last stopped."""

    def __init__(self, url: str, out: BinaryIO, limits: Limits, progress: Progress | None):
        self.url, self.out, self.limits, self.progress = url, out, limits, progress
        self.digest = hashlib.sha256()
        self.done = 0
        self.total: int | None = None
        self.validator: str | None = None  # the ETag or Last-Modified a resume must match
        self.complete = False

    def fetch(self, http: urllib3.PoolManager, retry: urllib3.Retry) -> urllib3.Retry:
        """One request: the rest of the body, or a failure handed to ``retry`` (which sleeps its
        backoff, or raises once spent); the policy as it stands after it."""
        headers = {"Range": f"bytes={self.done}-", "If-Range": self.validator} if self.done and self.validator else {}
        response = http.request("GET", self.url, headers=headers, retries=retry, preload_content=False,
                                decode_content=False, enforce_content_length=False)  # _receive checks it
        retry = response.retries or retry
        try:
            self._start(response)
            self._receive(response)
            self.complete = True
            return retry
        except (ProtocolError, ReadTimeoutError) as exc:  # _Short among them
            retry = retry.increment("GET", self.url, error=exc)
            retry.sleep()
            return retry
        finally:
            response.release_conn()

    def _start(self, response: Any) -> None:
        if response.status == 206 and _range_start(response) == self.done:
            return  # the rest, appended
        if response.status != 200:
            answer = f"HTTP {response.status} {response.reason or ''}".rstrip()
            raise PlaygroundError(f"download failed: {self.url}: {answer}{_tries(response.retries)}")
        self.out.seek(0)  # the whole file (again)
        self.out.truncate()
        self.digest, self.done = hashlib.sha256(), 0
        length = response.headers.get("Content-Length", "")
        self.total = int(length) if length.isdigit() else None
        self.validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
        cap = self.limits.download_bytes
        if self.total is not None and self.total > cap:
            raise PlaygroundError(f"download refused: {self.url}: it announces {self.total:,} bytes, "
                                  f"over the {cap:,}-byte cap")

    def _receive(self, response: Any) -> None:
        cap = self.limits.download_bytes
        while chunk := response.read1(CHUNK):  # one network read at a time, so the deadline is seen
            if self.done + len(chunk) > cap:
                raise PlaygroundError(f"download stopped: {self.url}: it sent more than the {cap:,}-byte cap")
            self.out.write(chunk)
            self.digest.update(chunk)
            self.done += len(chunk)
            if self.progress:
                self.progress(self.url.rsplit("/", 1)[-1], self.done, self.total)
        if self.total is not None and self.done != self.total:
            raise _Short(f"the body ended after {self.done:,} of the {self.total:,} bytes it announced")


class _Short(ProtocolError):
    """The body ended before its Content-Length: a dropped connection, retried like one."""


def _range_start(response: Any) -> int | None:
    unit, _, spec = response.headers.get("Content-Range", "").partition(" ")
    start = spec.split("-", 1)[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def _failure(url: str, exc: BaseException | None, limits: Limits, late: bool, retry: urllib3.Retry) -> PlaygroundError:
    if late:
        return PlaygroundError(f"download stopped: {url}: not finished within the {limits.deadline_s:g} s deadline")
    if isinstance(exc, PlaygroundError):
        return exc
    tries = _tries(retry)
    if isinstance(exc, MaxRetryError):  # spent: inside one request (urllib3's own count), or by a resume
        tries = tries or f" (after {limits.retries + 1} tries)"
        exc = exc.reason or exc
    if isinstance(exc, _Short):
        return PlaygroundError(f"download failed: {url}: {exc}{tries}; nothing was kept")
    if isinstance(exc, (ReadTimeoutError, TimeoutError, socket.timeout)) or "timed out" in str(exc):
        return PlaygroundError(f"download stopped: {url}: no data for {limits.stall_s:g} s (the stall timeout){tries}")
    if isinstance(exc, URLSchemeUnknown):
        return PlaygroundError(f"download failed: {url}: a redirect leads to {exc.scheme}://, which is not HTTP")
    if isinstance(exc, NewConnectionError):  # its text starts with the connection's repr
        return PlaygroundError(f"download failed: {url}: {str(exc).split(': ', 1)[-1]}{tries}")
    return PlaygroundError(f"download failed: {url}: {exc}{tries}")


def _tries(retry: urllib3.Retry | None) -> str:
    """How many requests failed: those the policy retried, and the last; "" for one."""
    count = sum(1 for past in retry.history if past.redirect_location is None) + 1 if retry is not None else 0
    return f" (after {count} tries)" if count > 1 else ""


def _manager(url: str, deadline: _Deadline, limits: Limits) -> urllib3.PoolManager:
    """A pool manager (through the environment's proxy, if it names one for this URL) whose
    connections report their sockets to ``deadline``."""
    timeout = urllib3.Timeout(connect=limits.stall_s, read=limits.stall_s)
    parsed = urllib3.util.parse_url(url)
    proxy = urllib.request.getproxies().get(parsed.scheme or "")
    if proxy and not urllib.request.proxy_bypass(parsed.host or ""):
        manager: urllib3.PoolManager = urllib3.ProxyManager(proxy, timeout=timeout)
    else:
        manager = urllib3.PoolManager(timeout=timeout)
    manager.pool_classes_by_scheme = {scheme: _watched(pool, deadline)
                                      for scheme, pool in manager.pool_classes_by_scheme.items()}
    return manager


def _watched(pool: type, deadline: _Deadline) -> type:
    class Connection(pool.ConnectionCls):  # type: ignore[name-defined, misc]
        def connect(self) -> None:
            if deadline.fired:  # not a network error, so urllib3 does not retry it
                raise PlaygroundError("the deadline has passed")
            super().connect()
            deadline.watch(self.sock)

    return type(pool.__name__, (pool,), {"ConnectionCls": Connection})


class _Deadline:
    """Ends a download that outlives ``seconds``: when the time is up it shuts the sockets of
    the connections made for it, which wakes a read blocked on them (headers or body)."""

    def __init__(self, seconds: float):
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:  # the plain socket's shutdown, also under TLS: it only wakes the reader
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed
