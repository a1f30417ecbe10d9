"""The plugin host: three sources, isolation of broken plugins, check_pending, duplicates."""

import json
import textwrap

import pytest
from typer.testing import CliRunner

from playground import Corpus, Domain, hookimpl
from playground.cli import app
from playground.errors import PlaygroundError
from playground.plugins import PluginHost

FIVE = {"shakespeare", "names", "latex", "c", "wikipedia"}


def write_plugin(folder, name, body):
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(body))


HAIKU = """
    from playground import Corpus, Domain, Source, hookimpl

    @hookimpl
    def register_domains(register):
        register(Domain(name="haiku", description="three lines",
                        corpus=Corpus(sources=(Source("https://example.org/haiku.txt"),), kind="lines")))
"""


def test_builtin_domains_come_through_entry_points():
    host = PluginHost()
    assert FIVE <= set(host.domains)
    for name in FIVE:
        info = host.plugins[name]
        assert (info.source, info.status, info.hooks) == ("builtin", "ok", ["register_domains"])
        assert host.domains[name].plugin == name


def test_installed_package_entry_point(tmp_path, monkeypatch):
    """A third-party distribution on sys.path with an entry point in the group 'playground'."""
    site = tmp_path / "site"
    (site / "playground_haiku").mkdir(parents=True)
    (site / "playground_haiku" / "__init__.py").write_text(textwrap.dedent(HAIKU))
    info = site / "playground_haiku-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: playground-haiku\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text("[playground]\nhaiku = playground_haiku\n")
    monkeypatch.syspath_prepend(str(site))
    host = PluginHost(installed=True)
    assert host.plugins["haiku"].source == "entry point"
    assert host.plugins["haiku"].version == "1.2.3"
    assert host.domains["haiku"].corpus.kind == "lines"
    assert FIVE <= set(host.domains)
    monkeypatch.setenv("PLAYGROUND_ENTRY_POINTS", "builtin")  # as the suite runs: only playground's own
    assert "haiku" not in PluginHost().plugins and set(PluginHost().domains) == FIVE
    monkeypatch.setenv("PLAYGROUND_ENTRY_POINTS", "some")
    with pytest.raises(PlaygroundError, match="PLAYGROUND_ENTRY_POINTS takes all or builtin, not 'some'"):
        PluginHost.from_env()


def test_plugin_file_from_folder(tmp_path):
    write_plugin(tmp_path / "plugins", "haiku", HAIKU)
    host = PluginHost(tmp_path / "plugins")
    assert host.plugins["haiku"].source == "file"
    assert host.plugins["haiku"].location.endswith("haiku.py")
    assert "haiku" in host.domains and FIVE <= set(host.domains)


def test_broken_plugins_are_isolated_and_named(tmp_path):
    folder = tmp_path / "plugins"
    write_plugin(folder, "crashes", "raise RuntimeError('boom at import')\n")
    write_plugin(folder, "misspelt", """
        from playground import hookimpl

        @hookimpl
        def register_domain(register):
            pass
    """)
    write_plugin(folder, "raises", """
        from playground import hookimpl

        @hookimpl
        def register_domains(register):
            raise ValueError("no corpus today")
    """)
    write_plugin(folder, "haiku", HAIKU)
    host = PluginHost(folder)
    domains = host.domains
    assert "haiku" in domains and FIVE <= set(domains)
    status = {name: (info.status, info.error) for name, info in host.plugins.items()}
    assert status["crashes"] == ("broken", "RuntimeError: boom at import")
    assert status["misspelt"][0] == "broken"
    assert "'register_domain'" in status["misspelt"][1] and "register_domains" in status["misspelt"][1]
    assert status["raises"] == ("broken", "register_domains raised ValueError: no corpus today")
    assert {info.name for info in host.broken()} == {"crashes", "misspelt", "raises"}


def test_check_pending_catches_a_misspelt_hook():
    class Typo:
        @hookimpl
        def track_events(self, event):
            pass

    host = PluginHost(entry_points=False)
    info = host.add("typo", Typo, "file")
    assert info.status == "broken"
    assert "unknown hook 'track_events'" in info.error
    assert not host.pm.has_plugin("typo")


def test_duplicate_domain_names_both_plugins(tmp_path):
    write_plugin(tmp_path / "plugins", "mynames", """
        from playground import Corpus, Domain, hookimpl

        @hookimpl
        def register_domains(register):
            register(Domain(name="names", description="again", corpus=Corpus()))
    """)
    host = PluginHost(tmp_path / "plugins")
    assert host.domains["names"].plugin == "names"
    assert host.plugins["mynames"].status == "broken"
    assert host.plugins["mynames"].error == "domain 'names' is registered by both 'names' and 'mynames'"


def test_register_rejects_non_domains():
    class Sloppy:
        @hookimpl
        def register_domains(self, register):
            register("shakespeare")

    host = PluginHost(entry_points=False)
    host.add("sloppy", Sloppy, "file")
    assert host.domains == {}
    assert "register() takes a Domain, not str" in host.plugins["sloppy"].error


def test_disable_plugins_by_name(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DISABLE_PLUGINS", "latex, c")
    from playground.plugins import host

    assert set(host().domains) == FIVE - {"latex", "c"}
    assert host().plugins["latex"].status == "disabled"


def test_track_event_reaches_plugins_and_a_raising_one_is_turned_off():
    from playground.events import StepCompleted

    seen = []

    class Logger:
        @hookimpl
        def track_event(self, event):
            seen.append(event.step)

    class Faulty:
        @hookimpl
        def track_event(self, event):
            raise OSError("disk full")

    host = PluginHost(entry_points=False)
    host.add("logger", Logger, "file")
    host.add("faulty", Faulty, "file")
    for step in (1, 2):
        host.track_event(StepCompleted(step=step, loss=1.0, lr=0.1, chars_per_s=10.0, elapsed_s=0.1))
    assert seen == [1, 2]
    assert host.plugins["faulty"].status == "broken"
    assert host.plugins["faulty"].error == "track_event raised OSError: disk full"


def test_domain_names_are_validated():
    with pytest.raises(ValueError, match="lowercase identifier"):
        Domain(name="Bad Name", description="", corpus=Corpus())
    with pytest.raises(ValueError, match="'stream' or 'lines'"):
        Domain(name="ok", description="", corpus=Corpus(kind="words"))


def test_cli_plugins_and_domains_with_a_broken_plugin(tmp_path):
    folder = tmp_path / "plugins"
    write_plugin(folder, "crashes", "import not_a_module_anywhere\n")
    write_plugin(folder, "haiku", HAIKU)
    runner = CliRunner()
    result = runner.invoke(app, ["--plugins-dir", str(folder), "plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["crashes"]["status"] == "broken"
    assert "not_a_module_anywhere" in rows["crashes"]["error"]
    assert rows["haiku"]["source"] == "file" and rows["shakespeare"]["source"] == "builtin"

    result = runner.invoke(app, ["--plugins-dir", str(folder), "domains", "--json"])
    assert result.exit_code == 0
    assert {row["name"] for row in json.loads(result.stdout)} == FIVE | {"haiku"}
    assert "plugin 'crashes' is broken" in result.stderr
    assert "Traceback" not in result.output


def test_cli_plugins_table_shows_each_plugin():
    result = CliRunner().invoke(app, ["plugins"])
    assert result.exit_code == 0
    for name in FIVE:
        assert name in result.stdout
    assert "builtin" in result.stdout and "register_domains" in result.stdout


def test_a_missing_plugins_folder_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["--plugins-dir", str(tmp_path / "nope"), "domains"])
    assert result.exit_code == 2
    assert "does not exist" in " ".join(result.output.replace("│", " ").split())


def domain_plugin(domain_name, calls):
    class Plugin:
        @hookimpl
        def register_domains(self, register):
            calls.append(domain_name)
            register(Domain(name=domain_name, description="", corpus=Corpus()))

    return Plugin


def test_hooks_go_through_pluggys_hook_caller_one_plugin_at_a_time():
    """add_hookcall_monitoring sees each plugin's call; a wrapper=True hookimpl wraps each one."""
    from playground.events import StepCompleted

    calls, monitored = [], []

    class Wrapper:
        @hookimpl(wrapper=True)
        def register_domains(self, register):
            calls.append("before")
            result = yield
            calls.append("after")
            return result

        @hookimpl
        def track_event(self, event):
            calls.append(event.step)

    host = PluginHost(entry_points=False)
    for name, plugin in [("a", domain_plugin("alpha", calls)), ("wrapper", Wrapper), ("b", domain_plugin("beta", calls))]:
        host.add(name, plugin, "file")
    host.pm.add_hookcall_monitoring(
        lambda hook, impls, kwargs: monitored.append((hook, sorted(impl.plugin_name for impl in impls))),
        lambda outcome, hook, impls, kwargs: monitored.append(("after", outcome.exception)))
    assert set(host.domains) == {"alpha", "beta"}
    host.track_event(StepCompleted(step=7, loss=1.0, lr=0.1, chars_per_s=10.0, elapsed_s=0.1))
    assert calls == ["before", "alpha", "after", "before", "beta", "after", 7]
    assert monitored == [("register_domains", ["a", "wrapper"]), ("after", None),
                         ("register_domains", ["b", "wrapper"]), ("after", None),
                         ("track_event", ["wrapper"]), ("after", None)]
    assert all(info.status == "ok" for info in host.plugins.values())


def test_a_wrapper_that_raises_is_blamed_not_the_plugin_it_wraps():
    calls = []

    class Clumsy:
        @hookimpl(wrapper=True)
        def register_domains(self, register):
            yield
            raise RuntimeError("teardown failed")

    host = PluginHost(entry_points=False)
    host.add("a", domain_plugin("alpha", calls), "file")
    host.add("clumsy", Clumsy, "file")
    assert set(host.domains) == {"alpha"}
    assert calls == ["alpha", "alpha"]  # again, without the wrapper
    assert (host.plugins["a"].status, host.plugins["clumsy"].status) == ("ok", "broken")
    assert host.plugins["clumsy"].error == "register_domains raised RuntimeError: teardown failed"


def test_an_explicit_host_from_an_environment(tmp_path):
    write_plugin(tmp_path / "plugins", "haiku", HAIKU)
    env = {"PLAYGROUND_DISABLE_PLUGINS": "latex", "PLAYGROUND_PLUGIN_TIMEOUT": "2.5"}
    host = PluginHost.from_env(env, plugins_dir=tmp_path / "plugins")
    assert host.timeout_s == 2.5
    assert set(host.domains) == FIVE - {"latex"} | {"haiku"}
    from_env = PluginHost.from_env({**env, "PLAYGROUND_PLUGINS_DIR": str(tmp_path / "plugins")})
    assert set(from_env.domains) == set(host.domains)
    with pytest.raises(PlaygroundError, match="PLAYGROUND_PLUGIN_TIMEOUT takes seconds"):
        PluginHost.from_env({"PLAYGROUND_PLUGIN_TIMEOUT": "0"})


def test_host_is_kept_per_environment(tmp_path, monkeypatch):
    from playground.plugins import host

    assert host() is host()
    monkeypatch.setenv("PLAYGROUND_DISABLE_PLUGINS", "c")
    assert host() is host() and "c" not in host().domains
