"""Linux kernel C: the .c and .h files of Linux 2.6.20's core subsystems."""

from pathlib import Path

from playground import Corpus, Domain, Source, hookimpl
from playground_c.guide import CGuide
from playground_c.units import units
from playground_c.scorer import score, score_strict

COMMIT = "5759bb8f702d984b53145aae69b66c85e8c2e29b"
URL = f"https://github.com/sagsango/linux-2.6.20/archive/{COMMIT}.tar.gz"
SHA256 = "1149abf0ceeff1be5893997896931216afcba7f8f65b4f8da1fabcf268f3bf51"

# (folder, recursive) in corpus order; files within a folder in sorted path order.
FOLDERS = (
    ("init", True), ("kernel", True), ("mm", True), ("ipc", True), ("block", True), ("lib", True),
    ("fs", False), ("fs/ext2", True), ("fs/ext3", True), ("fs/proc", True), ("fs/sysfs", True),
    ("fs/ramfs", True), ("security", True), ("net/core", True), ("net/ipv4", True),
)


def _read_utf8(path: Path) -> bytes:
    """A file's bytes as UTF-8; a few kernel files spell authors' names in Latin-1."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8")


def assemble(tree: Path) -> bytes:
    """Join the selected sources of a Linux 2.6.20 tree with no separators."""
    if not (tree / "kernel").is_dir():
        raise ValueError("not a Linux source tree (no kernel/ folder)")
    parts = []
    for folder, recursive in FOLDERS:
        files = (tree / folder).rglob("*") if recursive else (tree / folder).glob("*")
        paths = sorted(p.relative_to(tree).as_posix() for p in files if p.suffix in (".c", ".h") and p.is_file())
        parts.extend(_read_utf8(tree / p) for p in paths)
    return b"".join(parts)


@hookimpl
def register_domains(register):
    register(Domain(
        name="c",
        description="Linux 2.6.20 kernel C source: init, kernel, mm, ipc, block, lib, fs, security, net",
        corpus=Corpus(
            sources=(Source(URL),),
            sha256=SHA256,
            assemble=assemble,
            license="GPL-2.0-only (Linux kernel)",
            homepage="https://kernel.org",
        ),
        units=units,
        score=score,
        score_strict=score_strict,
        guide=CGuide,
        # bench/validity.py: one definition at T = 0.5 from a zero state parses 64% of the time; a warm
        # start made a fifth of the samples mostly copies of the kernel
        defaults={"temperature": 0.5, "units": 1, "length": 2000, "warm": False},
    ))
