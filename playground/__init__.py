"""playground: train character-level RNNs on real corpora and measure their samples' validity.

The public API for plugin authors::

    from playground import hookimpl, Domain, Corpus, Source, Score, per_sample, blocks, lines
    from playground import CharSet, only, anything_but, ANYTHING, NOTHING  # for a guide
"""

from playground.domains import Corpus, Domain, Score, Source, per_sample
from playground.errors import PlaygroundError
from playground.guide import ANYTHING, NOTHING, CharSet, anything_but, only
from playground.hookspecs import hookimpl
from playground.units import blocks, lines

__version__ = "0.1.0"

__all__ = ["ANYTHING", "NOTHING", "CharSet", "Corpus", "Domain", "PlaygroundError", "Score", "Source", "__version__",
           "anything_but", "blocks", "hookimpl", "lines", "only", "per_sample"]
