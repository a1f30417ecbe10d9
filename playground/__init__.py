"""playground: train character-level RNNs on real corpora and measure their samples' validity.

The public API for plugin authors::

    from playground import hookimpl, Domain, Corpus, Source, Score, per_sample
"""

from playground.domains import Corpus, Domain, Score, Source, per_sample
from playground.errors import PlaygroundError
from playground.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["Corpus", "Domain", "PlaygroundError", "Score", "Source", "__version__", "hookimpl", "per_sample"]
