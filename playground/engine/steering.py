"""Steering a run from a front end (the TUI) while it trains.

Any thread may set these; the training loop honours them at its next step boundary. While
paused it waits there, its clock stopped, and still answers requests for samples.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Steering:
    paused: threading.Event = field(default_factory=threading.Event)  # set: wait at the next step boundary
    stop: threading.Event = field(default_factory=threading.Event)  # set: stop (paused or not), saving a checkpoint
    sample_now: threading.Event = field(default_factory=threading.Event)  # set: stream one sample now
    temperature: float | None = None  # for the samples and validity batches from now on
    guided: bool | None = None  # the same, for the domain's guide (validity batches: raw and guided both)
