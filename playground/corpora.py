"""The corpus store: fetch (checksummed), import from a path, and find corpora on disk.

A corpus is a copy shipped inside its plugin's package (tiny-shakespeare and names), found
first, or ``<root>/<domain>/input.txt``. The writable root is ``$PLAYGROUND_HOME/corpora``
(``PLAYGROUND_HOME`` defaults to the current folder); ``PLAYGROUND_CORPORA`` adds read-only
roots, separated by ``os.pathsep``. A fetched corpus carries ``meta.json`` with the sha256
it was fetched with, and is verified against it (or the domain's pinned hash) on use.
Every download and every archive it unpacks is bounded by ``LIMITS`` (sizes, member count, a
stall timeout and a deadline); a fetch that passes one fails with one line and keeps nothing.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import hashlib
import json
import lzma
import os
import tarfile
import tempfile
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from playground.atomic import write_text_atomic
from playground.domains import Domain, Source
from playground.errors import PlaygroundError
from playground.memo import remembered

if TYPE_CHECKING:
    from playground.download import Progress

CHUNK = 1 << 20


def home() -> Path:
    return Path(os.environ.get("PLAYGROUND_HOME") or ".")


def store_dir(name: str) -> Path:
    return home() / "corpora" / name


def search_roots() -> list[Path]:
    extra = [Path(p).expanduser() for p in os.environ.get("PLAYGROUND_CORPORA", "").split(os.pathsep) if p]
    return [home() / "corpora", *extra]


def find_corpus(domain: Domain) -> Path | None:
    """The corpus file for ``domain``: its fixed path, the copy its package ships, the first on
    the search path, or the one a run of it recorded; None if there is none."""
    if domain.corpus.path is not None:
        return domain.corpus.path
    if domain.corpus.bundled is not None and domain.corpus.bundled.is_file():
        return domain.corpus.bundled
    for root in search_roots():
        candidate = root / domain.name / "input.txt"
        if candidate.is_file():
            return candidate
    remembered = _remembered.get(domain.name)
    return remembered if remembered is not None and remembered.is_file() else None


_remembered: dict[str, Path] = {}  # domain name -> the corpus file a run folder recorded


def remember(name: str, path: Path) -> None:
    """Where a run of domain ``name`` found its corpus, looked at after the corpus folders, so a
    command on that run (sample --score, resume) needs no PLAYGROUND_CORPORA; still checked
    against the domain's sha256 on use."""
    _remembered[name] = path


def fetch_hint(domain: Domain) -> str:
    return f"playground corpus fetch {domain.name}"


def corpus_path(domain: Domain) -> Path:
    """The verified corpus file for ``domain``, or a PlaygroundError saying how to get it."""
    return verified_corpus(domain)[0]


def verified_corpus(domain: Domain) -> tuple[Path, str]:
    """``corpus_path`` and the sha256 its verification read, in one pass over the file."""
    path = find_corpus(domain)
    if path is None:
        raise PlaygroundError(f"the {domain.name} corpus is missing; get it with `{fetch_hint(domain)}` "
                              f"(or point PLAYGROUND_CORPORA at a folder holding {domain.name}/input.txt)")
    expected = domain.corpus.sha256 or _recorded_sha256(path)
    digest = remembered(_digests, _version(path), lambda: check_text(path))
    if expected and digest != expected:
        mend = ("reinstall playground" if path == domain.corpus.bundled
                else f"refetch it with `{fetch_hint(domain)} --force`")
        raise PlaygroundError(f"{path} has sha256 {digest[:16]}…, expected {expected[:16]}…; {mend}")
    return path, digest


_digests: dict[tuple, str] = {}
_texts: dict[tuple, str] = {}


def _version(path: Path) -> tuple:
    """What tells one version of a file from another without reading it (an unreadable one
    is never remembered: reading it raises)."""
    try:
        stat = path.stat()
    except OSError:
        return (str(path), None)
    return (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size)


def corpus_text(domain: Domain) -> str:
    """The verified corpus text of ``domain``, read once per version of the file (scorers
    use it for vocabularies and novelty); a PlaygroundError says how to get a missing one."""
    path, _ = verified_corpus(domain)
    return remembered(_texts, _version(path), lambda: path.read_text(encoding="utf-8"))


def check_text(path: Path) -> str:
    """Check that ``path`` is a non-empty UTF-8 text file; return its sha256."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise PlaygroundError(f"cannot read {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    with handle:
        try:
            while chunk := handle.read(CHUNK):
                if b"\0" in chunk:
                    raise PlaygroundError(f"{path} looks binary (it holds NUL bytes); a corpus must be UTF-8 text")
                decoder.decode(chunk)
                digest.update(chunk)
                size += len(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise PlaygroundError(f"{path} is not UTF-8 text (bad byte at offset {size + exc.start})") from None
        except OSError as exc:
            raise PlaygroundError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise PlaygroundError(f"{path} is empty")
    return digest.hexdigest()


def _recorded_sha256(path: Path) -> str | None:
    meta = path.with_name("meta.json")
    try:
        return json.loads(meta.read_text())["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


# -- fetching --------------------------------------------------------------------------

def is_url(text: str) -> bool:
    return text.split("://", 1)[0] in ("http", "https") and "://" in text


@dataclass(frozen=True)
class Limits:
    """Bounds on what a fetch may take, generous for the real corpora: the largest download,
    the c domain's Linux 2.6.20 tarball, is roughly 50 MB and unpacks to roughly 250 MB in
    about 22,000 members; latex is 31 files of 10 MB in all."""

    download_bytes: int = 256 << 20  # per file: checked against Content-Length and as bytes arrive
    stall_s: float = 60  # per read: no byte for this long fails the request
    deadline_s: float = 30 * 60  # per file: from connecting to the last byte, retries included
    retries: int = 4  # per file and kind of failure: dropped, stalled, refused, or answered 429/5xx
    backoff_s: float = 1  # the first retry is at once, the next wait 2, 4, 8... times this (at most 30 s)
    unpacked_bytes: int = 512 << 20  # per archive, decompressed (a tar's headers count too)
    members: int = 50_000  # per archive: files, folders and links


LIMITS = Limits()  # read at each call, so a test can lower them


def download(url: str, dest: Path, progress: Progress | None = None) -> str:
    """Download ``url`` to ``dest`` within ``LIMITS`` (see playground.download); its sha256."""
    from playground.download import download as bounded  # urllib3: only when something downloads

    return bounded(url, dest, LIMITS, progress)


def fetch(domain: Domain, source: str | None = None, force: bool = False,
          progress: Progress | None = None) -> dict[str, Any]:
    """Put ``domain``'s corpus into the store and return its meta record.

    Without ``source`` it downloads the domain's upstream sources (each verified where its
    sha256 is pinned) and assembles them. ``source`` may be a URL, a file, or a folder (one
    holding ``input.txt``, or a checkout the domain's recipe assembles). Nothing is left
    under the final name unless it is complete and verified.
    """
    if domain.corpus.path is not None:
        raise PlaygroundError(f"{domain.corpus.path} is an ad-hoc text file; there is nothing to fetch")
    dest = store_dir(domain.name) / "input.txt"
    if dest.exists() and not force:
        raise PlaygroundError(f"{dest} already exists; add --force to fetch it again")
    if source is None and not domain.corpus.sources:
        raise PlaygroundError(f"domain {domain.name!r} names no upstream source; use --from PATH_OR_URL")
    created = not dest.parent.exists()
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _fetch_into(domain, source, dest, progress)
    except BaseException:
        if created and not any(dest.parent.iterdir()):
            dest.parent.rmdir()
        raise


def _fetch_into(domain: Domain, source: str | None, dest: Path, progress: Progress | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=dest.parent) as tmp:
        work = Path(tmp)
        built = _build(domain, source, work, progress)
        digest = check_text(built)
        expected = domain.corpus.sha256
        if expected and digest != expected:
            raise PlaygroundError(f"checksum mismatch for the {domain.name} corpus: got sha256 {digest}, "
                                  f"expected {expected}; nothing was kept")
        meta = {
            "domain": domain.name,
            "sha256": digest,
            "bytes": built.stat().st_size,
            "pinned": bool(expected),
            "source": source or [s.url for s in domain.corpus.sources],
            "license": domain.corpus.license,
            "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        _fsync(built)
        os.replace(built, dest)
        write_text_atomic(dest.with_name("meta.json"), json.dumps(meta, indent=2) + "\n")
    return meta


def _build(domain: Domain, source: str | None, work: Path, progress: Progress | None) -> Path:
    """Produce the corpus as a file inside ``work``."""
    folder = work / "src"
    folder.mkdir()
    if source is None:
        for spec in domain.corpus.sources:
            _download_source(spec, folder, progress)
        return _assemble(domain, _unpack_archives(folder), work)
    if is_url(source):
        spec = Source(source)
        path = folder / spec.name
        download(source, path, progress)
        return _from_file(domain, path, work)
    path = Path(urllib.request.url2pathname(source[len("file://"):]) if source.startswith("file://") else source).expanduser()
    if path.is_dir():
        if (path / "input.txt").is_file():
            return _copy(path / "input.txt", work / "input.txt", progress)
        if domain.corpus.assemble is None:
            raise PlaygroundError(f"{path} holds no input.txt, and the {domain.name} domain has no recipe to build one")
        return _assemble(domain, path, work)
    if path.is_file():
        return _from_file(domain, path, work)
    raise PlaygroundError(f"no such file, folder or URL: {source}")


def _download_source(spec: Source, folder: Path, progress: Progress | None) -> None:
    path = folder / spec.name
    digest = download(spec.url, path, progress)
    if spec.sha256 and digest != spec.sha256:
        raise PlaygroundError(f"checksum mismatch for {spec.url}: got sha256 {digest}, expected {spec.sha256}; "
                              "nothing was kept")


def _from_file(domain: Domain, path: Path, work: Path) -> Path:
    """A single file: an archive for the domain's recipe, or the corpus text itself."""
    if domain.corpus.assemble is not None and _is_archive(path):
        unpacked = work / "unpacked"
        unpacked.mkdir()
        _unpack(path, unpacked)
        return _assemble(domain, _single_root(unpacked), work)
    return path if path.is_relative_to(work) else _copy(path, work / "input.txt")


def _assemble(domain: Domain, folder: Path, work: Path) -> Path:
    if domain.corpus.assemble is None:
        files = [p for p in folder.iterdir() if p.is_file()]
        if len(files) != 1:
            raise PlaygroundError(f"domain {domain.name!r} has {len(files)} sources but no recipe to join them")
        return files[0]
    try:
        data = domain.corpus.assemble(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise PlaygroundError(f"cannot build the {domain.name} corpus from {folder}: {exc}") from None
    out = work / "input.txt"
    out.write_bytes(data)
    return out


def _copy(src: Path, dest: Path, progress: Progress | None = None) -> Path:
    try:
        total = src.stat().st_size
        with open(src, "rb") as fin, open(dest, "wb") as fout:
            done = 0
            while chunk := fin.read(CHUNK):
                fout.write(chunk)
                done += len(chunk)
                if progress:
                    progress(src.name, done, total)
    except OSError as exc:
        raise PlaygroundError(f"cannot read {src}: {exc.strerror or exc}") from None
    return dest


def _is_archive(path: Path) -> bool:
    return zipfile.is_zipfile(path) or _is_tar(path)


def _is_tar(path: Path) -> bool:
    """Whether the first block, once decompressed, is a tar header (tarfile.is_tarfile would
    read a whole first member's header, however large it claims to be)."""
    try:
        with _decompressed(path, LIMITS) as stream:
            tarfile.TarInfo.frombuf(stream.read(tarfile.BLOCKSIZE), tarfile.ENCODING, "surrogateescape")
    except (tarfile.HeaderError, OSError, EOFError, zlib.error, lzma.LZMAError):
        return False
    return True


def _unpack(archive: Path, dest: Path) -> None:
    """Unpack ``archive`` into ``dest`` within ``LIMITS``, refusing paths that leave ``dest``."""
    limits = LIMITS
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                # zipfile never writes more than a member's declared file_size, so the
                # declared sizes bound the writing (and are all known before any is written)
                infos = list(_bounded(archive, zf.infolist(), lambda info: (info.filename, info.file_size), limits))
                zf.extractall(dest, _inside(archive, infos))
        else:
            with _decompressed(archive, limits) as stream, tarfile.open(fileobj=stream, mode="r|") as tf:
                tf.extractall(dest, _bounded(archive, tf, lambda member: (member.name, member.size), limits),
                              filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, zlib.error, lzma.LZMAError,
            RuntimeError) as exc:  # RuntimeError: an encrypted or oddly compressed zip member
        raise PlaygroundError(f"cannot unpack {archive.name}: {exc}") from None


def _bounded(archive: Path, members: Iterable[Any], describe: Callable[[Any], tuple[str, int]],
             limits: Limits) -> Iterator[Any]:
    """``members`` as they come, stopping before the one that would pass a cap.
    ``describe(member)`` gives its name and its size once unpacked."""
    total = 0
    for count, member in enumerate(members, 1):
        name, size = describe(member)
        total += size
        if count > limits.members:
            raise PlaygroundError(f"cannot unpack {archive.name}: more than {limits.members:,} members (the cap)")
        if total > limits.unpacked_bytes:
            raise PlaygroundError(f"cannot unpack {archive.name}: it expands past the "
                                  f"{limits.unpacked_bytes:,}-byte cap (at {name})")
        yield member


def _inside(archive: Path, infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """Refuse absolute and ``..`` names, as tar's "data" filter does (zipfile would rewrite them)."""
    for info in infos:
        parts = info.filename.replace("\\", "/").split("/")
        if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise PlaygroundError(f"cannot unpack {archive.name}: {info.filename!r} would land outside the folder")
    return infos


_COMPRESSED = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))


def _decompressed(archive: Path, limits: Limits) -> _Capped:
    """The archive's bytes after decompression, capped (tar headers can hide a bomb too)."""
    with open(archive, "rb") as handle:
        magic = handle.read(6)
    opener = next((op for prefix, op in _COMPRESSED if magic.startswith(prefix)), open)
    return _Capped(opener(archive, "rb"), limits.unpacked_bytes, archive)


class _Capped:
    """A reader that fails once more than ``cap`` bytes have come through it."""

    def __init__(self, raw: BinaryIO, cap: int, archive: Path):
        self._raw, self._cap, self._archive, self._done = raw, cap, archive, 0

    def read(self, size: int = -1) -> bytes:
        room = self._cap - self._done + 1  # one byte past the cap is enough to know
        data = self._raw.read(room if size < 0 else min(size, room))
        self._done += len(data)
        if self._done > self._cap:
            raise PlaygroundError(f"cannot unpack {self._archive.name}: it expands past the {self._cap:,}-byte cap")
        return data

    def __enter__(self) -> _Capped:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._raw.close()


def _unpack_archives(folder: Path) -> Path:
    """Unpack any downloaded archive in place; return the folder the recipe should read."""
    archives = [p for p in folder.iterdir() if p.is_file() and _is_archive(p)]
    for archive in archives:
        _unpack(archive, folder)
        archive.unlink()
    return _single_root(folder)


def _single_root(folder: Path) -> Path:
    """GitHub and kernel tarballs hold one top folder: descend into it."""
    entries = list(folder.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


# -- information -----------------------------------------------------------------------

def domain_status(domain: Domain) -> dict[str, Any]:
    """What `playground domains` and the TUI show of a domain: corpus status, scorer, tools."""
    try:
        path = corpus_path(domain)
        corpus = {"status": "ready", "path": str(path)}
    except PlaygroundError as exc:
        missing = find_corpus(domain) is None
        corpus = {"status": "missing" if missing else "invalid", "error": str(exc),
                  "fetch": fetch_hint(domain)}
    missing_tools = domain.missing_tools()
    return {
        "name": domain.name,
        "description": domain.description,
        "plugin": domain.plugin,
        "kind": domain.corpus.kind,
        "license": domain.corpus.license,
        "corpus": corpus,
        "scorer": domain.score is not None,
        "strict": domain.score_strict is not None,
        "repair": domain.repair is not None,
        "requires": {tool: tool not in missing_tools for tool in domain.requires},
    }


def info(domain: Domain) -> dict[str, Any]:
    """Facts about the corpus the domain would train on."""
    path = corpus_path(domain)
    data = path.read_bytes()
    text = data.decode("utf-8")
    meta = {}
    if path.with_name("meta.json").is_file():
        meta = json.loads(path.with_name("meta.json").read_text())
    return {
        "domain": domain.name,
        "path": str(path),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "characters": len(text),
        "alphabet": len(set(text)),  # distinct characters: the model's vocabulary
        "lines": text.count("\n") + (0 if text.endswith("\n") else 1),
        "kind": domain.corpus.kind,
        "license": domain.corpus.license,
        "source": meta.get("source") or [s.url for s in domain.corpus.sources] or str(path),
    }
