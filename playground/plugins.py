"""The plugin host: loads plugins, isolates broken ones, and collects their domains.

Plugins come from three places, all through the same hooks:
- the first-party domains, shipped in this wheel under the entry-point group ``playground``;
- other installed packages with an entry point in that group;
- one-off ``*.py`` files in a plugins folder (``--plugins-dir`` or ``PLAYGROUND_PLUGINS_DIR``).
``PLAYGROUND_DISABLE_PLUGINS=a,b`` turns plugins off by name.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

from playground import hookspecs
from playground.domains import Domain
from playground.errors import one_line

if TYPE_CHECKING:
    from playground.events import Event

ENTRY_POINT_GROUP = "playground"
DISTRIBUTION = "playground"  # entry points of our own wheel are the built-in plugins


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
                 entry_points: bool = True):
        self.pm = pluggy.PluginManager("playground")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.disabled = {name.strip() for name in disabled if name.strip()}
        self._domains: dict[str, Domain] | None = None
        if entry_points:
            self._load_entry_points()
        if plugins_dir is not None:
            self._load_folder(Path(plugins_dir))

    # -- loading -----------------------------------------------------------------------

    def add(self, name: str, load: Callable[[], object], source: str, version: str = "",
            location: str = "") -> PluginInfo:
        """Load and register one plugin; a failure marks it broken and nothing else."""
        info = PluginInfo(name, source, version or "-", location)
        if name in self.plugins:  # two plugins by one name: the first one wins
            first = self.plugins[name]
            first.error = first.error or f"another plugin named {name!r} was ignored ({location})"
            return first
        self.plugins[name] = info
        if name in self.disabled:
            info.status = "disabled"
            return info
        try:
            plugin = load()
            self.pm.register(plugin, name=name)
        except Exception as exc:  # a broken plugin must not take the others down
            info.status, info.error = "broken", one_line(exc)
            return info
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError:
            self.pm.unregister(name=name)
            unknown = sorted(set(self._hook_names(plugin)) - set(self._spec_names()))
            info.status = "broken"
            info.error = f"unknown hook {', '.join(map(repr, unknown))}; known hooks: {', '.join(self._spec_names())}"
            return info
        info.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
        self._domains = None
        return info

    def _load_entry_points(self) -> None:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            builtin = dist is not None and dist.metadata["Name"] == DISTRIBUTION
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

    def _hook_names(self, plugin: object) -> list[str]:
        return [name for name in dir(plugin) if self.pm.parse_hookimpl_opts(plugin, name) is not None]

    # -- hooks -------------------------------------------------------------------------

    @property
    def domains(self) -> dict[str, Domain]:
        """Every registered domain by name; each plugin's register_domains runs in isolation."""
        if self._domains is None:
            self._domains = {}
            for impl in self.pm.hook.register_domains.get_hookimpls():  # in load order
                self._collect(impl.plugin, impl.function)
        return self._domains

    def _collect(self, plugin: object, register_domains: Callable) -> None:
        name = self.pm.get_name(plugin)
        found: list[Domain] = []

        def register(domain: Domain) -> None:
            if not isinstance(domain, Domain):
                raise TypeError(f"register() takes a Domain, not {type(domain).__name__}")
            found.append(domain)

        try:
            register_domains(register=register)
        except Exception as exc:
            self._fail(name, f"register_domains raised {one_line(exc)}")
            return
        for domain in found:
            if domain.name in self._domains:
                other = self._domains[domain.name].plugin
                self._fail(name, f"domain {domain.name!r} is registered by both {other!r} and {name!r}")
                return
        for domain in found:
            self._domains[domain.name] = _with_plugin(domain, name)

    def _fail(self, name: str, error: str) -> None:
        info = self.plugins[name]
        info.status, info.error = "broken", error
        self.pm.unregister(name=name)

    def track_event(self, event: Event) -> None:
        """Give an event to every track_event hook; one that raises is turned off."""
        for impl in self.pm.hook.track_event.get_hookimpls():
            try:
                impl.function(event=event)
            except Exception as exc:
                self._fail(self.pm.get_name(impl.plugin), f"track_event raised {one_line(exc)}")

    def broken(self) -> list[PluginInfo]:
        return [info for info in self.plugins.values() if info.status == "broken"]


def _with_plugin(domain: Domain, plugin: str) -> Domain:
    return dataclasses.replace(domain, plugin=plugin)


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


@functools.lru_cache(maxsize=None)
def _host(plugins_dir: str | None, disabled: str) -> PluginHost:
    return PluginHost(Path(plugins_dir) if plugins_dir else None, disabled.split(","))


def host() -> PluginHost:
    """The process's plugin host, configured from PLAYGROUND_PLUGINS_DIR and PLAYGROUND_DISABLE_PLUGINS."""
    return _host(os.environ.get("PLAYGROUND_PLUGINS_DIR") or None, os.environ.get("PLAYGROUND_DISABLE_PLUGINS", ""))


def track_event(event: Event) -> None:
    host().track_event(event)
