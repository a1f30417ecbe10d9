"""playground: train character-level RNNs on real corpora and measure their samples' validity.

The public API for plugin authors::

    from playground import hookimpl, Domain, Corpus, Source, Score, per_sample, blocks, lines
"""

from playground.domains import Corpus, Domain, Score, Source, per_sample
from playground.errors import PlaygroundError
from playground.hookspecs import hookimpl
from playground.units import blocks, lines

__version__ = "0.1.0"

__all__ = ["Corpus", "Domain", "PlaygroundError", "Score", "Source", "__version__", "blocks", "hookimpl", "lines",
           "per_sample"]
