"""A domain's guide as sampling uses it: one batch of streams at a time, run as plugin code.

``DomainGuide`` builds the domain's guide on first use (a guide may read the corpus; a factory
that takes a ``length`` keyword is told the sampling's ``--length``, to close what is open in
time) and walks
every stream of a batch in one isolated, time-limited call per step (``scoring.plugin_call``):
whatever the guide raises, a hang, or an answer that is not a CharSet ends the sampling in one
line.
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Sequence

from playground.domains import Domain
from playground.errors import PlaygroundError
from playground.guide import CharSet


class DomainGuide:
    """A ``playground.engine.guidance.BatchGuide`` over ``domain``'s guide."""

    def __init__(self, domain: Domain):
        self.domain = domain
        self.guide, self.built = None, {}  # the guide in use; each one built, by length

    def start(self, prime: str, n: int, length: int) -> tuple[list[Hashable], list[CharSet]]:
        """``n`` streams at the guide's start, fed ``prime`` (a PlaygroundError where it refuses it),
        for samples of at most ``length`` characters."""
        if length not in self.built:
            factory = self.domain.guide
            told = "length" in inspect.signature(factory).parameters
            self.built[length] = self._call("guide", lambda: factory(length=length) if told else factory())
        self.guide = self.built[length]
        state, charset = self._call("guide", lambda: self._walk_prime(prime))
        return [state] * n, [charset] * n

    def advance(self, states: Sequence[Hashable], chars: Sequence[str]) -> tuple[list[Hashable], list[CharSet]]:
        guide = self.guide

        def step() -> tuple[list[Hashable], list[CharSet]]:
            after = [guide.advance(state, char) for state, char in zip(states, chars)]
            return after, [guide.allowed(state) for state in after]

        after, charsets = self._call("guide", step)
        for charset in charsets:
            self._check(charset)
        return after, charsets

    def _walk_prime(self, prime: str) -> tuple[Hashable, CharSet]:
        state = self.guide.start()
        for index, char in enumerate(prime):
            if char not in self._check(self.guide.allowed(state)):
                raise PlaygroundError(f"the {self.domain.name} guide refuses the prime at character {index + 1} "
                                      f"({char!r}); change the prime or sample without --guided")
            state = self.guide.advance(state, char)
        return state, self._check(self.guide.allowed(state))

    def _check(self, charset: object) -> CharSet:
        if not isinstance(charset, CharSet):
            raise PlaygroundError(f"the {self.domain.name} guide's allowed() returned {type(charset).__name__}, "
                                  "not a playground.CharSet")
        return charset

    def _call(self, what: str, call):
        from playground.scoring import plugin_call

        return plugin_call(self.domain.name, what, call)
