"""The hooks a playground plugin can implement.

A plugin is a module (or any object) with functions decorated ``@hookimpl`` whose names
are hook names below. Write only the hooks you need; a misspelt hook name is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from playground.domains import Domain
    from playground.events import Event

hookspec = pluggy.HookspecMarker("playground")
hookimpl = pluggy.HookimplMarker("playground")


@hookspec
def register_domains(register: Callable[[Domain], None]) -> None:
    """Bring domains to the playground: call ``register(Domain(...))`` once for each.

    Example::

        @hookimpl
        def register_domains(register):
            register(Domain(name="haiku", description="three-line poems",
                            corpus=Corpus(sources=(Source("https://example.org/haiku.txt"),),
                                          kind="lines")))
    """


@hookspec
def track_event(event: Event) -> None:
    """Observe every event of every run (``RunStarted``, ``StepCompleted``, ...).

    Called in the training process for each event, in order. Keep it quick: it runs on
    the training loop. An exception marks the plugin broken; training goes on.

    Example::

        @hookimpl
        def track_event(event):
            if event.kind == "eval_completed":
                print(event.step, event.val_loss)
    """
