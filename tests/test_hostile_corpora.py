"""Hostile upstreams: servers on 127.0.0.1 that trickle, stall, lie or flood, and archives that
explode or climb out of their folder. Each fails with one line and leaves nothing in the store.
The limits are lowered per test (``corpora.LIMITS``) so no test waits long or fills the disk."""

import dataclasses
import gzip
import http.server
import io
import struct
import tarfile
import threading
import zipfile

import pytest
from test_corpora import leftovers
from typer.testing import CliRunner

from playground import corpora
from playground.cli import app
from playground.domains import Corpus, Domain, Source
from playground.errors import PlaygroundError


@pytest.fixture
def limits(monkeypatch):
    """Lower some of the fetch limits for one test (conftest already makes retries back off 1 ms)."""
    def lower(**changes):
        monkeypatch.setattr(corpora, "LIMITS", dataclasses.replace(corpora.LIMITS, **changes))
    return lower


@pytest.fixture
def hostile_server():
    """``start(behaviour)`` serves every GET with ``behaviour(handler, stop)`` on 127.0.0.1 and
    returns the base URL; ``stop`` is set at teardown so a slow behaviour ends at once, and
    ``start.requests[base]`` is what the behaviour recorded of the requests it answered."""
    stop = threading.Event()
    servers = []

    def start(behaviour):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                try:
                    behaviour(self, stop)
                except OSError:
                    pass  # the client hung up, as it should

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.requests = []  # what a behaviour records of each request it answered
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        start.requests[base] = server.requests
        return base

    start.requests = {}  # base URL -> its server's record of requests
    yield start
    stop.set()
    for server in servers:
        server.shutdown()
        server.server_close()


def headers(handler, length=None):
    handler.send_response(200)
    if length is not None:
        handler.send_header("Content-Length", str(length))
    handler.end_headers()


def trickle_body(handler, stop):
    """A byte every 50 ms, never a pause long enough to trip a stall timeout (20 s at most)."""
    headers(handler)
    for _ in range(400):
        if stop.wait(0.05):
            return
        handler.wfile.write(b"x")


def trickle_headers(handler, stop):
    """The status line, then header bytes one every 20 ms (at most 20 s)."""
    handler.wfile.write(b"HTTP/1.0 200 OK\r\n")
    for byte in b"X-Slow: 1\r\n" * 90:
        if stop.wait(0.02):
            return
        handler.wfile.write(bytes([byte]))


def stall(handler, stop):
    headers(handler, length=10)
    handler.wfile.write(b"x")
    stop.wait(20)


def short_body(handler, stop):
    headers(handler, length=1000)
    handler.wfile.write(b"roses are red\n" * 7)  # 98 bytes, then the connection closes


def flood(length):
    def behaviour(handler, stop):
        headers(handler, length)
        handler.wfile.write(b"roses are red\n" * 1000)  # 14,000 bytes
    return behaviour


def redirect(handler, stop):
    """/ftp goes to an FTP URL; any other path goes to the same path under /ok/."""
    if handler.path.startswith("/ok/"):
        return flood(14_000)(handler, stop)
    handler.send_response(302)
    handler.send_header("Location", "ftp://127.0.0.1:9/x.txt" if handler.path == "/ftp" else f"/ok{handler.path}")
    handler.end_headers()


def poems(url):
    """An unpinned domain with one upstream file."""
    return Domain(name="poems", description="", corpus=Corpus(sources=(Source(url),)))


def bundle(url):
    """An unpinned domain whose one upstream file is an archive for its recipe."""
    return Domain(name="bundle", description="",
                  corpus=Corpus(sources=(Source(url),), assemble=lambda folder: b"assembled\n"))


def nothing_kept(home):
    return list((home / "corpora").rglob("*")) == [] and leftovers(home) == []


def cli_refuses(args, message):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


# -- downloads -------------------------------------------------------------------------

def test_a_trickling_body_stops_at_the_deadline(hostile_server, limits, isolated_home):
    limits(stall_s=10, deadline_s=0.5)
    base = hostile_server(trickle_body)
    with pytest.raises(PlaygroundError, match=rf"^download stopped: {base}/poems.txt: not finished within "
                                              r"the 0.5 s deadline$"):
        corpora.fetch(poems(f"{base}/poems.txt"))
    assert nothing_kept(isolated_home)


def test_trickled_headers_stop_at_the_deadline(hostile_server, limits, isolated_home):
    limits(stall_s=10, deadline_s=0.5)
    base = hostile_server(trickle_headers)
    cli_refuses(["corpus", "fetch", "shakespeare", "--from", f"{base}/input.txt"],
                f"download stopped: {base}/input.txt: not finished within the 0.5 s deadline")
    assert nothing_kept(isolated_home)


def test_a_stalled_body_stops_at_the_stall_timeout(hostile_server, limits, isolated_home):
    limits(stall_s=0.2)
    base = hostile_server(stall)
    cli_refuses(["corpus", "fetch", "shakespeare", "--from", f"{base}/input.txt"],
                f"download stopped: {base}/input.txt: no data for 0.2 s (the stall timeout)")
    assert nothing_kept(isolated_home)


def test_a_body_shorter_than_its_content_length_is_refused(hostile_server, isolated_home):
    base = hostile_server(short_body)
    with pytest.raises(PlaygroundError, match="the body ended after 98 of the 1,000 bytes it announced"):
        corpora.fetch(poems(f"{base}/poems.txt"))
    assert nothing_kept(isolated_home)
    cli_refuses(["corpus", "fetch", "shakespeare", "--from", f"{base}/input.txt"],
                f"download failed: {base}/input.txt: the body ended after 98 of the 1,000 bytes it announced")
    assert nothing_kept(isolated_home)


@pytest.mark.parametrize("length, message", ids=["announced", "unannounced"], argvalues=[
    (14_000, "it announces 14,000 bytes, over the 1,000-byte cap"),  # refused before the body is read
    (None, "it sent more than the 1,000-byte cap"),  # no Content-Length: stopped as it streams
])
def test_an_oversized_body_is_refused(hostile_server, limits, isolated_home, length, message):
    limits(download_bytes=1000)
    base = hostile_server(flood(length))
    with pytest.raises(PlaygroundError, match=f"{base}/poems.txt: {message}"):
        corpora.fetch(poems(f"{base}/poems.txt"))
    assert nothing_kept(isolated_home)
    cli_refuses(["corpus", "fetch", "shakespeare", "--from", f"{base}/input.txt"], message)
    assert nothing_kept(isolated_home)


def test_a_body_within_the_limits_still_arrives(hostile_server, limits, isolated_home):
    limits(download_bytes=14_000, stall_s=5, deadline_s=60)
    base = hostile_server(flood(14_000))
    assert corpora.fetch(poems(f"{base}/poems.txt"))["bytes"] == 14_000


POEM = b"roses are red\n" * 1000  # 14,000 bytes


def drops_half_way(handler, stop, ranges=True):
    """The first answer stops half-way and closes; a resume (Range) gets the rest as a 206, or,
    where the server ignores ranges, the whole file again."""
    handler.server.requests.append(handler.headers.get("Range"))
    wanted = handler.headers.get("Range")
    if wanted and ranges:
        start = int(wanted.removeprefix("bytes=").rstrip("-"))
        handler.send_response(206)
        handler.send_header("Content-Range", f"bytes {start}-{len(POEM) - 1}/{len(POEM)}")
        handler.send_header("Content-Length", str(len(POEM) - start))
        handler.send_header("ETag", '"v1"')
        handler.end_headers()
        handler.wfile.write(POEM[start:])
        return
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(POEM)))
    handler.send_header("ETag", '"v1"')
    handler.end_headers()
    if len(handler.server.requests) == 1:
        handler.wfile.write(POEM[:6000])
        handler.wfile.flush()
        handler.connection.shutdown(2)  # dropped half-way: 6,000 of 14,000 bytes
        return
    handler.wfile.write(POEM)


def unavailable_twice(handler, stop):
    handler.server.requests.append(handler.path)
    if len(handler.server.requests) <= 2:
        handler.send_error(503, "Service Unavailable")
        return
    flood(len(POEM))(handler, stop)


def always_unavailable(handler, stop):
    handler.server.requests.append(handler.path)
    handler.send_error(503, "Service Unavailable")


def always_drops(handler, stop):
    handler.server.requests.append(handler.headers.get("Range"))
    headers(handler, length=len(POEM))
    handler.wfile.write(POEM[:100])


@pytest.mark.parametrize("ranges", [True, False], ids=["resumed-with-range", "restarted"])
def test_a_connection_dropped_half_way_is_resumed(hostile_server, isolated_home, ranges):
    base = hostile_server(lambda handler, stop: drops_half_way(handler, stop, ranges))
    meta = corpora.fetch(poems(f"{base}/poems.txt"))
    assert meta["bytes"] == len(POEM)
    assert (isolated_home / "corpora" / "poems" / "input.txt").read_bytes() == POEM
    assert hostile_server.requests[base] == [None, "bytes=6000-"]  # asked for the rest, not the whole


def test_503_twice_is_retried_with_backoff(hostile_server, isolated_home):
    base = hostile_server(unavailable_twice)
    assert corpora.fetch(poems(f"{base}/poems.txt"))["bytes"] == len(POEM)
    assert len(hostile_server.requests[base]) == 3


def test_a_server_that_stays_unavailable_fails_after_its_retries(hostile_server, limits, isolated_home):
    limits(retries=2)
    base = hostile_server(always_unavailable)
    cli_refuses(["corpus", "fetch", "shakespeare", "--from", f"{base}/input.txt"],
                f"download failed: {base}/input.txt: HTTP 503 Service Unavailable (after 3 tries)")
    assert len(hostile_server.requests[base]) == 3
    assert nothing_kept(isolated_home)


def test_a_body_that_always_drops_fails_after_its_retries(hostile_server, limits, isolated_home):
    limits(retries=2)
    base = hostile_server(always_drops)
    with pytest.raises(PlaygroundError, match=rf"^download failed: {base}/poems.txt: the body ended after 100 of "
                                              r"the 14,000 bytes it announced \(after 3 tries\); nothing was kept$"):
        corpora.fetch(poems(f"{base}/poems.txt"))
    assert len(hostile_server.requests[base]) == 3
    assert nothing_kept(isolated_home)


def test_redirects_are_followed_over_http_only(hostile_server, isolated_home):
    base = hostile_server(redirect)
    with pytest.raises(PlaygroundError, match=f"^download failed: {base}/ftp: a redirect leads to ftp://, "
                                              "which is not HTTP$"):
        corpora.fetch(poems(f"{base}/ftp"))
    assert nothing_kept(isolated_home)
    assert corpora.fetch(poems(f"{base}/poems.txt"))["bytes"] == 14_000


# -- archives --------------------------------------------------------------------------

def tar_gz(*members):
    """A tar.gz of (TarInfo, data) pairs, written by hand so that data may fall short of its size."""
    raw = b"".join(info.tobuf(tarfile.GNU_FORMAT) + data + bytes(-len(data) % 512) for info, data in members)
    return gzip.compress(raw + bytes(1024), compresslevel=9)


def member(name, size=0, **fields):
    info = tarfile.TarInfo(name)
    info.size = size
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def zipped(*files):
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            zf.writestr(name, data)
    return raw.getvalue()


def understated(data, name, declared):
    """A one-member zip whose headers say it unpacks to ``declared`` bytes."""
    blob = bytearray(zipped((name, data)))
    struct.pack_into("<I", blob, 22, declared)  # the local header's uncompressed size
    central = blob.index(b"PK\x01\x02")
    struct.pack_into("<I", blob, central + 24, declared)  # and the central directory's
    return bytes(blob)


def fetch_archive(http_server, name, data):
    folder, base = http_server
    (folder / name).write_bytes(data)
    corpora.fetch(bundle(f"{base}/{name}"))


def test_a_tar_bomb_is_refused_at_its_header(http_server, limits, isolated_home):
    """A member declaring a terabyte is refused before any of it is read: the archive holds
    only its header, so reaching the data would fail differently ("unexpected end of data")."""
    limits(unpacked_bytes=1 << 20)
    bomb = tar_gz((member("top/a.tex", 6), b"hello\n"), (member("top/bomb.tex", 1 << 40), b""))
    assert len(bomb) < 1000
    with pytest.raises(PlaygroundError, match=r"^cannot unpack bomb.tar.gz: it expands past the 1,048,576-byte "
                                              r"cap \(at top/bomb.tex\)$"):
        fetch_archive(http_server, "bomb.tar.gz", bomb)
    assert nothing_kept(isolated_home)


def test_a_tar_of_zeros_is_refused_and_the_cli_says_so_in_one_line(http_server, limits, isolated_home):
    limits(unpacked_bytes=1 << 20)
    folder, base = http_server
    (folder / "bomb.tar.gz").write_bytes(tar_gz((member("linux/zeros.c", 8 << 20), bytes(8 << 20))))
    cli_refuses(["corpus", "fetch", "c", "--from", f"{base}/bomb.tar.gz"],
                "cannot unpack bomb.tar.gz: it expands past the 1,048,576-byte cap (at linux/zeros.c)")
    assert nothing_kept(isolated_home)


def test_a_bomb_in_tar_headers_is_stopped_as_it_decompresses(http_server, limits, isolated_home):
    """An empty member whose pax header is 4 MiB: only the decompressed stream shows it."""
    limits(unpacked_bytes=1 << 20)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(member("a.txt", pax_headers={"comment": "x" * (4 << 20)}))
    with pytest.raises(PlaygroundError, match="^cannot unpack pax.tar.gz: it expands past the 1,048,576-byte cap$"):
        fetch_archive(http_server, "pax.tar.gz", gzip.compress(raw.getvalue()))
    assert nothing_kept(isolated_home)


@pytest.mark.parametrize("name, archive", ids=["tar", "zip"], argvalues=[
    ("many.tar.gz", tar_gz(*[(member(f"f{i}.txt", 2), b"x\n") for i in range(10)])),
    ("many.zip", zipped(*[(f"f{i}.txt", b"x\n") for i in range(10)])),
])
def test_too_many_members_are_refused(http_server, limits, isolated_home, name, archive):
    limits(members=3)
    with pytest.raises(PlaygroundError, match=f"^cannot unpack {name}: more than 3 members \\(the cap\\)$"):
        fetch_archive(http_server, name, archive)
    assert nothing_kept(isolated_home)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(http_server, limits, isolated_home):
    limits(unpacked_bytes=1 << 20)
    bomb = zipped(("a.txt", b"hello\n"), ("zeros.txt", bytes(16 << 20)))
    assert len(bomb) < 20_000
    folder, base = http_server
    (folder / "bomb.zip").write_bytes(bomb)
    cli_refuses(["corpus", "fetch", "c", "--from", f"{base}/bomb.zip"],
                "cannot unpack bomb.zip: it expands past the 1,048,576-byte cap (at zeros.txt)")
    assert nothing_kept(isolated_home)


def test_a_zip_that_understates_its_size_writes_no_more_than_it_declared(http_server, limits, isolated_home):
    limits(unpacked_bytes=1 << 20)
    with pytest.raises(PlaygroundError, match="^cannot unpack liar.zip: Bad CRC-32 for file 'zeros.txt'$"):
        fetch_archive(http_server, "liar.zip", understated(bytes(16 << 20), "zeros.txt", 100))
    assert nothing_kept(isolated_home)


@pytest.mark.parametrize("name, archive, message", ids=["tar-up", "tar-link", "zip-up", "zip-absolute"], argvalues=[
    ("up.tar.gz", tar_gz((member("../evil.txt", 5), b"evil\n")), "which is outside the destination"),
    ("link.tar.gz", tar_gz((member("top/link", type=tarfile.SYMTYPE, linkname="../../../evil.txt"), b"")),
     "which is outside the destination"),
    ("up.zip", zipped(("../evil.txt", b"evil\n")), "'../evil.txt' would land outside the folder"),
    ("abs.zip", zipped(("/tmp/evil.txt", b"evil\n")), "'/tmp/evil.txt' would land outside the folder"),
])
def test_members_that_climb_out_are_refused(http_server, tmp_path, isolated_home, name, archive, message):
    with pytest.raises(PlaygroundError, match=f"^cannot unpack {name}: .*{message}"):
        fetch_archive(http_server, name, archive)
    assert nothing_kept(isolated_home)
    assert not [p for p in tmp_path.rglob("evil.txt")]


def test_a_tar_within_the_limits_still_unpacks(http_server, limits, isolated_home):
    limits(unpacked_bytes=1 << 20, members=3)
    fetch_archive(http_server, "ok.tar.gz", tar_gz((member("top", type=tarfile.DIRTYPE), b""),
                                                   (member("top/a.txt", 6), b"hello\n")))
    assert (isolated_home / "corpora" / "bundle" / "input.txt").read_bytes() == b"assembled\n"


def test_the_unpinned_wikipedia_excerpt_cannot_expand_past_its_bound(tmp_path):
    import bz2

    from playground_wikipedia import _bunzip2

    bomb = tmp_path / "excerpt.bz2"
    bomb.write_bytes(bz2.compress(b"\0" * 100_000))
    with pytest.raises(PlaygroundError, match="expands past 10,000 bytes"):
        _bunzip2(bomb, 10_000)
    assert _bunzip2(bomb, 100_000) == b"\0" * 100_000
    bomb.write_bytes(b"BZh9 not really")
    with pytest.raises(PlaygroundError, match="not a valid .bz2 file"):
        _bunzip2(bomb, 10_000)
