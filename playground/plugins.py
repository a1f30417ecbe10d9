"""The plugin host: loads plugins, isolates broken ones, and collects their domains.

Plugins come from three places, all through the same hooks:
- the first-party domains, shipped in this wheel under the entry-point group ``playground``;
- other installed packages with an entry point in that group;
- one-off ``*.py`` files in a plugins folder (``--plugins-dir`` or ``PLAYGROUND_PLUGINS_DIR``).
``PLAYGROUND_DISABLE_PLUGINS=a,b`` turns plugins off by name; ``PLAYGROUND_ENTRY_POINTS=builtin``
leaves other installed packages' plugins unloaded (a plugins folder still loads), so that what
else is installed does not change what playground does (the test suite runs so).

Isolation: a plugin's import and each of its hook calls run in a daemon thread, and the host waits
at most ``PLAYGROUND_PLUGIN_TIMEOUT`` seconds (default ``TIMEOUT_S``) for it. Whatever plugin code
raises, ``SystemExit``, ``KeyboardInterrupt`` and ``GeneratorExit`` included, and a call that does not
return in time, marks that plugin broken with its name and a one-line error; the others go on.
A real Ctrl-C still interrupts: Python runs signal handlers in the main thread, which is the one
waiting, never in the plugin's thread. A thread cannot be killed: plugin code that does not return
runs on, detached, until the process exits. Out of reach: ``os._exit``, a crash of the interpreter,
a signal the plugin sends to its own process. Costs: a thread start per call (a fraction of a
millisecond; more on a busy machine), and plugin code cannot install signal handlers.

Hooks are called through pluggy's hook caller, one plugin at a time (``pm.subset_hook_caller``), so
``pm.add_hookcall_monitoring`` sees every call and ``wrapper=True`` hookimpls wrap each plugin's call.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import importlib.util
import math
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FrameType, TracebackType
from typing import TYPE_CHECKING

import pluggy

from playground import hookspecs
from playground.domains import Domain
from playground.errors import PlaygroundError, one_line

if TYPE_CHECKING:
    from playground.events import Event

ENTRY_POINT_GROUP = "playground"
DISTRIBUTION = "playground"  # entry points of our own wheel are the built-in plugins
PLUGINS_DIR_ENV = "PLAYGROUND_PLUGINS_DIR"
DISABLE_ENV = "PLAYGROUND_DISABLE_PLUGINS"
ENTRY_POINTS_ENV = "PLAYGROUND_ENTRY_POINTS"  # "all" (the default) or "builtin"
TIMEOUT_ENV = "PLAYGROUND_PLUGIN_TIMEOUT"
TIMEOUT_S = 10.0  # how long a plugin's import, or one of its hook calls, may take
MAX_TIMEOUT_S = 3600.0
MAX_ERROR_CHARS = 300  # a plugin's error message is cut to this


@dataclass
class PluginInfo:
    name: str
    source: str  # "builtin", "entry point" or "file"
    version: str
    location: str  # module or file path
    hooks: list[str] = field(default_factory=list)
    status: str = "ok"  # "ok", "broken" or "disabled"
    error: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class PluginHost:
    """One plugin manager with its plugins loaded, each one's status, and their domains."""

    def __init__(self, plugins_dir: Path | None = None, disabled: Iterable[str] = (),
                 entry_points: bool = True, timeout_s: float | None = None, installed: bool | None = None):
        """``installed``: load other packages' entry points too (None: as PLAYGROUND_ENTRY_POINTS says)."""
        self.installed = _installed(os.environ.get(ENTRY_POINTS_ENV, "")) if installed is None else installed
        self.pm = pluggy.PluginManager("playground")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.disabled = {name.strip() for name in disabled if name.strip()}
        self.timeout_s = TIMEOUT_S if timeout_s is None else timeout_s
        self._domains: dict[str, Domain] | None = None
        if entry_points:
            self._load_entry_points()
        if plugins_dir is not None:
            self._load_folder(Path(plugins_dir))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, plugins_dir: Path | None = None) -> PluginHost:
        """The host a command builds once and passes along: ``plugins_dir`` (else
        PLAYGROUND_PLUGINS_DIR), PLAYGROUND_DISABLE_PLUGINS, PLAYGROUND_PLUGIN_TIMEOUT and
        PLAYGROUND_ENTRY_POINTS from ``environ``."""
        folder = plugins_dir or environ.get(PLUGINS_DIR_ENV) or None
        return cls(Path(folder) if folder else None, environ.get(DISABLE_ENV, "").split(","),
                   timeout_s=_timeout(environ.get(TIMEOUT_ENV, "")),
                   installed=_installed(environ.get(ENTRY_POINTS_ENV, "")))

    # -- loading -----------------------------------------------------------------------

    def add(self, name: str, load: Callable[[], object], source: str, version: str = "",
            location: str = "") -> PluginInfo:
        """Load and register one plugin, isolated; a failure marks it broken and nothing else.

        Only plugins that come in through here are called."""
        info = PluginInfo(name, source, version or "-", location)
        if name in self.plugins:  # two plugins by one name: the first one wins
            first = self.plugins[name]
            first.error = first.error or f"another plugin named {name!r} was ignored ({location})"
            return first
        self.plugins[name] = info
        if name in self.disabled:
            info.status = "disabled"
            return info
        outcome = isolated(functools.partial(self._register, name, load), self.timeout_s, {}, name)
        if outcome.error:
            self._fail(name, outcome.error if outcome.raised else f"import {outcome.error}")
            return info
        callers = self.pm.get_hookcallers(outcome.value) or []
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError:
            unknown = sorted(caller.name for caller in callers if not caller.has_spec())
            self._fail(name, f"unknown hook {', '.join(map(repr, unknown))}; "
                             f"known hooks: {', '.join(self._spec_names())}")
            return info
        info.hooks = sorted(caller.name for caller in callers)
        self._domains = None
        return info

    def _register(self, name: str, load: Callable[[], object]) -> object:
        plugin = load()
        self.pm.register(plugin, name=name)
        return plugin

    def _load_entry_points(self) -> None:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            builtin = dist is not None and dist.metadata["Name"] == DISTRIBUTION
            if not (builtin or self.installed):
                continue
            self.add(ep.name, ep.load, "builtin" if builtin else "entry point",
                     dist.version if dist else "", ep.value)

    def _load_folder(self, folder: Path) -> None:
        if not folder.is_dir():
            self.plugins[str(folder)] = PluginInfo(str(folder), "file", "-", str(folder), status="broken",
                                                   error="plugins folder does not exist")
            return
        for path in sorted(folder.glob("*.py")):
            self.add(path.stem, functools.partial(_import_file, path), "file", location=str(path))

    def _spec_names(self) -> list[str]:
        return sorted(name for name in vars(self.pm.hook) if not name.startswith("_")
                      and getattr(self.pm.hook, name).has_spec())

    # -- hooks -------------------------------------------------------------------------

    @property
    def domains(self) -> dict[str, Domain]:
        """Every registered domain by name; each plugin's register_domains runs in isolation."""
        if self._domains is None:
            self._domains = {}
            for name in self._implementers("register_domains"):  # in load order
                if self._ok(name):
                    self._collect(name)
        return self._domains

    def _collect(self, name: str) -> None:
        outcome = None
        while outcome is None or outcome.culprit not in (None, name):  # a wrapper broke it: again without
            found: list[Domain] = []
            outcome = self._call("register_domains", name, register=functools.partial(_register, found, name))
        if outcome.culprit == name:
            return
        if not (type(outcome.value) is list and not outcome.value):  # each plugin's result, or a wrapper's
            value = outcome.value[0] if type(outcome.value) is list else outcome.value
            self._fail(name, f"register_domains returned a value ({type(value).__name__}); "
                             "it should call register(Domain(...)) and return None")
            return
        for domain in found:
            if domain.name in self._domains:
                other = self._domains[domain.name].plugin
                self._fail(name, f"domain {domain.name!r} is registered by both {other!r} and {name!r}")
                return
        for domain in found:
            self._domains[domain.name] = domain

    def track_event(self, event: Event) -> None:
        """Give an event to every track_event hook; one that raises or hangs is turned off."""
        for name in self._implementers("track_event"):
            # a wrapper that broke the call is off now: call again without it (after its
            # teardown broke, the plugin sees the event twice)
            while self._ok(name) and self._call("track_event", name, event=event).culprit not in (None, name):
                pass

    def _call(self, hook: str, name: str, **kwargs: object) -> Outcome:
        """One plugin's ``hook`` through pluggy's hook caller, wrapped by the wrappers of plugins that
        are ok and isolated; plugin code that fails marks its plugin broken (``culprit``)."""
        impls = getattr(self.pm.hook, hook).get_hookimpls()
        keep = [impl for impl in impls if self._ok(impl.plugin_name)
                and (impl.plugin_name == name or impl.wrapper or impl.hookwrapper)]
        caller = self.pm.subset_hook_caller(hook, [impl.plugin for impl in impls if impl not in keep])
        owners = {code: impl.plugin_name for impl in keep if (code := _code(impl.function)) is not None}
        outcome = isolated(functools.partial(caller, **kwargs), self.timeout_s, owners, name)
        if outcome.error:
            self._fail(outcome.culprit, f"{hook} {'raised ' if outcome.raised else ''}{outcome.error}")
        return outcome

    def _implementers(self, hook: str) -> list[str]:
        """The plugins with a plain (not wrapper) implementation of ``hook``."""
        return [impl.plugin_name for impl in getattr(self.pm.hook, hook).get_hookimpls()
                if not (impl.wrapper or impl.hookwrapper)]

    def _ok(self, name: str) -> bool:
        info = self.plugins.get(name)
        return info is not None and info.status == "ok"

    def _fail(self, name: str, error: str) -> None:
        info = self.plugins[name]
        info.status, info.error = "broken", error
        self.pm.set_blocked(name)  # unregisters it, and refuses a registration that finishes late

    def broken(self) -> list[PluginInfo]:
        return [info for info in self.plugins.values() if info.status == "broken"]


@dataclass
class Outcome:
    """What a call of plugin code came to: its value, or an error and the plugin to blame."""

    value: object = None
    error: str = ""  # "ValueError: no corpus" or "did not return within 10 s"; "" when it returned
    raised: bool = False
    culprit: str | None = None  # set with error
    exception: BaseException | None = None  # what it raised


def isolated(call: Callable[[], object], timeout_s: float, owners: dict[CodeType, str] | None = None,
             name: str = "") -> Outcome:
    """Run plugin code in a daemon thread and wait at most ``timeout_s`` for it.

    Anything it raises is its error, BaseException included (a real Ctrl-C reaches the main thread,
    waiting in ``join``, and interrupts it). The culprit is the plugin in ``owners`` (hook functions by
    plugin) whose function is innermost on the failing or still-running stack, else ``name``. The
    thread cannot be killed: if it does not return, it runs on, detached, until the process exits.
    The plugin host calls its hooks through it, and playground.scoring a domain's callables.
    """
    outcome = Outcome()

    def run() -> None:
        try:
            outcome.value = call()
        except BaseException as exc:  # plugin code: SystemExit and KeyboardInterrupt are its errors too
            outcome.error, outcome.raised, outcome.exception = _describe(exc), True, exc
            outcome.culprit = _blame(_raised_in(exc.__traceback__), owners or {}) or name

    thread = threading.Thread(target=run, name=f"playground plugin {name}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        running = _running_in(sys._current_frames().get(thread.ident))
        return Outcome(error=f"did not return within {timeout_s:g} s", culprit=_blame(running, owners or {}) or name)
    return outcome


def _describe(exc: BaseException) -> str:
    """``one_line(exc)``, printable and at most MAX_ERROR_CHARS long; its ``__str__`` is plugin code too."""
    try:
        text = one_line(exc)
    except BaseException:  # runs in the plugin's thread, which never sees a real Ctrl-C
        text = f"{type(exc).__name__} (its message could not be read)"
    text = "".join(char if char.isprintable() else "?" for char in text[:MAX_ERROR_CHARS + 1])
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 1] + "…"


def _blame(codes: Iterable[CodeType], owners: dict[CodeType, str]) -> str | None:
    return next((owners[code] for code in codes if code in owners), None)


def _raised_in(tb: TracebackType | None) -> list[CodeType]:
    """The code of each frame an exception went through, innermost first."""
    codes = []
    while tb is not None:
        codes.append(tb.tb_frame.f_code)
        tb = tb.tb_next
    return codes[::-1]


def _running_in(frame: FrameType | None) -> Iterator[CodeType]:
    """The code of each frame on a thread's stack, innermost first."""
    while frame is not None:
        yield frame.f_code
        frame = frame.f_back


def _code(function: Callable) -> CodeType | None:
    return getattr(getattr(function, "__func__", function), "__code__", None)


def _register(found: list[Domain], plugin: str, domain: object) -> None:
    """The ``register`` a plugin's register_domains is given (it runs in the plugin's thread)."""
    if not isinstance(domain, Domain):
        raise TypeError(f"register() takes a Domain, not {type(domain).__name__}")
    found.append(dataclasses.replace(domain, plugin=plugin))


def _import_file(path: Path) -> object:
    module_name = f"playground_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _timeout(text: str) -> float:
    """PLAYGROUND_PLUGIN_TIMEOUT's seconds; TIMEOUT_S when it is empty."""
    if not text.strip():
        return TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_TIMEOUT_S:
        raise PlaygroundError(f"{TIMEOUT_ENV} takes seconds, more than 0 and at most {MAX_TIMEOUT_S:g}, not {text!r}")
    return seconds


def _installed(text: str) -> bool:
    if text not in ("", "all", "builtin"):
        raise PlaygroundError(f"{ENTRY_POINTS_ENV} takes all or builtin, not {text!r}")
    return text != "builtin"


HOST_ENV = (PLUGINS_DIR_ENV, DISABLE_ENV, TIMEOUT_ENV, ENTRY_POINTS_ENV)  # what the host is built from


@functools.lru_cache(maxsize=None)
def _host(*values: str) -> PluginHost:
    return PluginHost.from_env(dict(zip(HOST_ENV, values)))


def host() -> PluginHost:
    """The process's plugin host: ``PluginHost.from_env(os.environ)``, kept per setting, for callers
    that are not given a host."""
    return _host(*(os.environ.get(key, "") for key in HOST_ENV))

