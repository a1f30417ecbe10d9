"""JSON documents: botocore's paginator and waiter specs, pretty-printed, one after another.

A playground domain plugin written only against playground's public API. The corpus comes
from the botocore wheel on PyPI (Apache-2.0): every ``paginators-1.json`` and
``waiters-2.json`` under ``botocore/data``: 452 distinct documents, 968 KB in all, a median
document of 1,183 characters.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from playground import Corpus, Domain, Source, blocks, hookimpl
from playground_json.guide import JsonGuide
from playground_json.scorer import score, strip

VERSION = "1.43.107"
URL = ("https://files.pythonhosted.org/packages/7e/39/3a0db1ba57531062cda616dae68b69faef8114939414a2a291b3aac7617b/"
       f"botocore-{VERSION}-py3-none-any.whl")
WHEEL_SHA256 = "23cbe854e815dbaccf097f7fd32b461c9e1d2ed7e0c7dcc5658218704509d840"
CORPUS_SHA256 = "3d50636a66b4832b691609b73716e073caceaddcbc11d8e71079e99b67838c3b"  # 968,059 bytes, 452 documents
NAMES = ("paginators-1.json", "waiters-2.json")  # the files taken, wherever they are
SEPARATOR = "\n\n"  # between documents; indent=2 output never holds a blank line


def _files(folder: Path):
    """(path, bytes) of each selected file under ``folder``, and inside any wheel found there
    (``--from`` a folder holding the .whl: playground unpacks only a downloaded or named archive)."""
    for path in folder.rglob("*"):
        if path.name in NAMES and path.is_file():
            yield path.relative_to(folder).as_posix(), path.read_bytes()
        elif path.suffix == ".whl" and path.is_file():
            with zipfile.ZipFile(path) as wheel:
                for name in wheel.namelist():
                    if name.rsplit("/", 1)[-1] in NAMES:
                        yield name, wheel.read(name)


def assemble(folder: Path) -> bytes:
    """Each distinct document once, in path order, re-serialised with indent=2 and separated
    by a blank line, so that the corpus is uniform pretty-printed JSON."""
    seen: dict[str, None] = {}  # an ordered set: many services share an empty spec
    for _, data in sorted(_files(folder)):
        seen.setdefault(json.dumps(json.loads(data), indent=2), None)
    if not seen:
        raise ValueError(f"no {' or '.join(NAMES)} files (not a botocore wheel?)")
    return (SEPARATOR.join(seen) + "\n").encode("utf-8")


@hookimpl
def register_domains(register):
    register(Domain(
        name="json",
        description="JSON documents: botocore's paginator and waiter specs, pretty-printed",
        corpus=Corpus(
            sources=(Source(URL, sha256=WHEEL_SHA256),),
            sha256=CORPUS_SHA256,
            assemble=assemble,
            license="Apache-2.0 (botocore)",
            homepage="https://github.com/boto/botocore",
        ),
        postprocess=(strip,),
        score=score,
        units=blocks,  # a unit is a document (indent=2 output never holds a blank line)
        stop=SEPARATOR,  # one sample is one document
        guide=JsonGuide,  # JSON's grammar, and the blank line only once the document is whole
        # Samples start as every document does; the line break lets the model's state settle on
        # easy characters before the first key (a fresh state's first characters are its worst).
        # 3,000 characters hold 83% of the documents whole.
        defaults={"prime": "{\n", "length": 3000},
    ))
