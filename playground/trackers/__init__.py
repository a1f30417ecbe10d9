"""The built-in trackers that ``playground train --log NAME[:DIR]`` turns on.

A tracker is a plugin with a ``track_event`` hook, added to the command's plugin host, so it runs
isolated and time-limited like any other. ``parse`` checks the ``--log`` values without importing
torch (a bad name or a missing package is one line before anything starts); ``attach`` then adds
the trackers to the host.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from playground.errors import PlaygroundError

TRACKERS = {"tensorboard": "tensorboard"}  # tracker name -> the package it needs
INSTALL = {"tensorboard": 'pip install "tensorboard>=2.14" (or playground\'s [tensorboard] extra)'}


@dataclass(frozen=True)
class Tracker:
    name: str
    folder: Path | None  # None: the tracker's folder inside the run folder


def parse(specs: Iterable[str]) -> list[Tracker]:
    """The trackers that ``--log`` values ask for: ``NAME`` or ``NAME:DIR``, each name once."""
    trackers: dict[str, Tracker] = {}
    for spec in specs:
        name, colon, folder = spec.partition(":")
        if name not in TRACKERS:
            raise PlaygroundError(f"--log {spec!r}: unknown tracker {name!r}; known: {', '.join(TRACKERS)} "
                                  "(as NAME or NAME:DIR)")
        if name in trackers:
            raise PlaygroundError(f"--log {name} is given twice")
        if colon and not folder:
            raise PlaygroundError(f"--log {spec!r}: give a folder after ':', or drop the ':'")
        if folder and Path(folder).exists() and not Path(folder).is_dir():
            raise PlaygroundError(f"--log {spec!r}: {folder} is not a folder")
        if importlib.util.find_spec(TRACKERS[name]) is None:
            raise PlaygroundError(f"--log {name} needs the {TRACKERS[name]} package: {INSTALL[name]}")
        trackers[name] = Tracker(name, Path(folder) if folder else None)
    return list(trackers.values())


def attach(host, trackers: Iterable[Tracker]) -> None:
    """Add each tracker to ``host`` (a PluginHost) as a built-in plugin named after it."""
    from playground.trackers.tensorboard import TensorBoardTracker, check_importable

    for tracker in trackers:
        check_importable()
        info = host.add(tracker.name, lambda folder=tracker.folder: TensorBoardTracker(folder), "builtin",
                        location=TensorBoardTracker.__module__)
        if info.location != TensorBoardTracker.__module__:
            raise PlaygroundError(f"--log {tracker.name}: a plugin named {tracker.name!r} is already loaded "
                                  f"({info.location}); rename it")
        if info.status != "ok":
            raise PlaygroundError(f"--log {tracker.name}: the tracker is {info.status}"
                                  + (f": {info.error}" if info.error else " (PLAYGROUND_DISABLE_PLUGINS)"))
