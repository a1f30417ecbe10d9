"""Wikipedia markup: enwik8-style MediaWiki XML with XML-escaped wikitext."""

import bz2
from pathlib import Path

from playground import Corpus, Domain, PlaygroundError, Source, blocks, hookimpl
from playground_wikipedia.guide import WikiGuide
from playground_wikipedia.scorer import score

ENWIK8 = Source(
    "https://raw.githubusercontent.com/Mentors4EDU/Break-CS/5aba2368d50c49a03e888b7d4e8117dcf514b434/enwik8",
    sha256="3f326db2753c31e7f0515b339b42e99473792f0ccec0b5b3361a3366e324008f",
)
ENWIKI_2016 = Source(
    "https://raw.githubusercontent.com/piskvorky/gensim/4.4.0/gensim/test/test_data/"
    "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
)
MAX_EXCERPT_BYTES = 64 * 2**20  # the real excerpt is 6,089,746 bytes
SHA256 = "9894150219e535bba26a3336e1263616ba1ea5ae8cdc23e1a832d6628386b7c8"


def assemble(folder: Path) -> bytes:
    """The start of enwik8 up to its last complete page, then a 2016 dump excerpt."""
    enwik8 = (folder / ENWIK8.name).read_bytes()
    end = enwik8.rfind(b"</page>\n")
    if end < 0:
        raise ValueError(f"{ENWIK8.name} holds no complete <page>")
    return enwik8[: end + len(b"</page>\n")] + _bunzip2(folder / ENWIKI_2016.name, MAX_EXCERPT_BYTES)


def _bunzip2(path: Path, limit: int) -> bytes:
    """A .bz2 file's contents, refused past ``limit`` bytes (the download is not pinned, so
    a bomb must not expand in memory before the corpus's sha256 can say no)."""
    decompressor = bz2.BZ2Decompressor()
    try:
        data = decompressor.decompress(path.read_bytes(), max_length=limit)
    except (OSError, ValueError) as err:
        raise PlaygroundError(f"{path.name} is not a valid .bz2 file: {err}") from None
    if not decompressor.eof:
        raise PlaygroundError(f"{path.name} expands past {limit:,} bytes; the excerpt is about 6 MB")
    return data


@hookimpl
def register_domains(register):
    register(Domain(
        name="wikipedia",
        description="English Wikipedia as MediaWiki XML (enwik8 start + a 2016 excerpt)",
        corpus=Corpus(
            sources=(ENWIK8, ENWIKI_2016),
            sha256=SHA256,
            assemble=assemble,
            license="CC BY-SA 3.0 / GFDL (Wikipedia contributors)",
            homepage="https://en.wikipedia.org",
        ),
        units=blocks,  # a unit is a paragraph (a heading line, a template, a table: whatever a blank line ends)
        score=score,
        guide=WikiGuide,
        # bench/validity.py: one paragraph at T = 1.0 balances 30% of the time (T = 0.5: 15%, most of the
        # rest never ending a paragraph within 2,000 characters)
        defaults={"max_vocab": 256, "units": 1, "length": 2000},
    ))
