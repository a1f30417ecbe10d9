"""The Stacks project's LaTeX: 31 chapters of algebraic geometry, in book order."""

from pathlib import Path

from playground import Corpus, Domain, Source, hookimpl
from playground_latex.guide import LatexGuide
from playground_latex.postprocess import repair, units
from playground_latex.scorer import score

COMMIT = "4ac4815d5a00dc2eacab7824cf4e4baafe2773ac"
BASE = f"https://raw.githubusercontent.com/stacks/stacks-project/{COMMIT}/"
SHA256 = "bc19da7dac2ea3a4e11da87b19d369a7f878757b05820e8247631a99943e20e5"

# Book order (the LIJST variable of the project's Makefile), introduction up to divisors,
# with each chapter's sha256 at COMMIT.
CHAPTERS = (
    ("introduction", "43abd6493bf48325878d6573966e97025770d4b4e12db1dda31da7fd181d4acf"),
    ("conventions", "711a1081e100d7d41f4f18f9665b8646c3a5439cfb3898655cbf395c4d518db3"),
    ("sets", "9bcc55e7f11cf36b0665ae549d5ba76be6a0edd00f7fca36a567e367099603f9"),
    ("categories", "62f7611af4c3feebd041db4728b42c7112004cfbb9fa5ecb643c6f5d90db3f25"),
    ("topology", "44548f530113104b4e64385090ee1ac7be2d64e5841d749ab986e04efaaf5981"),
    ("sheaves", "ac4f9edc7db85e66329806ec9ea42816187a469772844baea663e1c9a9f00b38"),
    ("sites", "07ae4690c2d8eb6873837d3d14a37f07408bb14f9e0be6077ed570c220b1845d"),
    ("stacks", "ca374cb00b1c71acf10e30faef293108d079258211d935fe0d4add1477634ba9"),
    ("fields", "87e07f0373dc60cfc284e2f19078bc9bc7ab0b89c40eef83941f6c38c765c549"),
    ("algebra", "fa8bb92e58a4f78a2bd01b3b6a4a87de0a0d279f5dd90641b574dd5fbfffa4f3"),
    ("brauer", "b2504820d769ebe4e9e33b8add78753fb30aca6e8a7f75c8d54dda885edcd682"),
    ("homology", "483caf01b4bd164dbc9103d76196e294e00efe17e706178ecf2dc2c1def4abe0"),
    ("derived", "efda4cb361dd40909d1991161eae716e58b6cf9e79380971502e1da12396d402"),
    ("simplicial", "187b4cd4f20696bf35eed843528462780ca04abbbc597ae1045f8404372fdc56"),
    ("more-algebra", "0106554339e8966fe04411b2ae9f9cd856b165849feef0c7bc37634819064708"),
    ("smoothing", "fd28cf874bb7dad3c5c5ff03314d1c83701613a8a98730a99b9ca7a4bcfe6068"),
    ("modules", "7bd3e9e096717ef6fd458492d8ad91fc9ffe428cfd7dd80e386fae377bb7cb0d"),
    ("sites-modules", "b7cd92aff9df33f05eeab72c4b55e8aa33f3aebd947fc53160e87ca80dffb245"),
    ("injectives", "b1367e48800c53d72c495d386eef2d4d6c400652f9d00e69f664f17418d26520"),
    ("cohomology", "fa9747d0082afbf8b09244dcc6c260f8a122e5e3b4a3c69e2273506d76e18a42"),
    ("sites-cohomology", "5b335ce2c7208a128b3c744b8828d93508063f41a4fabbce2e921f890928895c"),
    ("dga", "74d8effc5693c38a1e408591fcaf5f62017c125ad636768d943dc22c55403409"),
    ("dpa", "1e4ed7cee878c185ea5284e176241d3428a398a25b28a56c44869c1b59f090ed"),
    ("sdga", "7c9c1056b5a68f2ddee0ff57babd09f738566f7342432784ff10fae75e237435"),
    ("hypercovering", "b90f9152c608a6a725924549de093a810a8169499ba31c86967582da498a666e"),
    ("schemes", "08475a01cf0ddf69734fd7ebc0d14d3831148c25a2ef82aaafdb65666f8fce47"),
    ("constructions", "a642498dbebe4b72547d8e3ac03d8c8a7c3a3c9b1e604439c2899f18beb4cddb"),
    ("properties", "52f3785b3ef80828fe135a8ce92ade6f68ebff0e13310ed91c88f95c03fdc2f0"),
    ("morphisms", "3350fd2c4e3abc78a4ae3bcdb32694c70a5765e500c308c7ea7d239f5a3e3b69"),
    ("coherent", "702ca51850d0f9a615888dc0ced8100e104c98961e05a48b32c3ddf6eda61604"),
    ("divisors", "dcd32b7f25d55afd13b2e44fbaa6324f7263c53dfbf445354cec1f685fbba675"),
)


def assemble(folder: Path) -> bytes:
    """Join the chapters in book order, unchanged (works on a stacks-project checkout too)."""
    return b"".join((folder / f"{chapter}.tex").read_bytes() for chapter, _ in CHAPTERS)


@hookimpl
def register_domains(register):
    register(Domain(
        name="latex",
        description="The Stacks project: LaTeX source of 31 algebraic-geometry chapters",
        corpus=Corpus(
            sources=tuple(Source(f"{BASE}{chapter}.tex", sha256=sha) for chapter, sha in CHAPTERS),
            sha256=SHA256,
            assemble=assemble,
            license="GFDL 1.2 (The Stacks project authors)",
            homepage="https://stacks.math.columbia.edu",
        ),
        units=units,
        score=score,
        repair=repair,
        requires=("pdflatex", "bwrap"),
        guide=LatexGuide,
        # bench/validity.py: one unit at T = 0.5, warm, compiles 25% of the time (zero state 3%)
        defaults={"temperature": 0.5, "units": 1, "length": 2000},
    ))
