import dataclasses
import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Read once: each test then runs without it unless it asks for the `with_corpora` fixture.
# The suite tests playground, not what else is installed: a plugin the user installed (say the
# guide's haiku) stays unloaded, here and in every command a test runs. Tests of installed
# plugins turn it back on with PLAYGROUND_ENTRY_POINTS=all.
os.environ["PLAYGROUND_ENTRY_POINTS"] = "builtin"
CORPORA_ROOTS = [Path(p) for p in os.environ.get("PLAYGROUND_CORPORA", "").split(os.pathsep) if p]


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """The real corpora: PLAYGROUND_CORPORA (CI points it at ../shared/corpora)."""
    for root in [*CORPORA_ROOTS, ROOT.parent / "shared" / "corpora"]:
        if (root / "names" / "input.txt").is_file():
            return root.resolve()
    pytest.fail("the real corpora are missing: set PLAYGROUND_CORPORA=../shared/corpora")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One PLAYGROUND_CACHE for the session: a ceiling or suffix array is measured once per run."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch, shared_cache):
    """Each test gets its own PLAYGROUND_HOME, a fresh plugin host and no corpus a run folder
    recorded; the session shares one cache."""
    from playground import corpora, plugins

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PLAYGROUND_HOME", str(home))
    monkeypatch.setenv("PLAYGROUND_CACHE", str(shared_cache))
    for name in ("PLAYGROUND_CORPORA", "PLAYGROUND_PLUGINS_DIR", "PLAYGROUND_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    plugins._host.cache_clear()
    monkeypatch.setattr(corpora, "_remembered", {})
    monkeypatch.setenv("PLAYGROUND_OFFLINE", "1")  # no test reaches the internet: one that fetches unsets it
    monkeypatch.setattr(corpora, "LIMITS", dataclasses.replace(corpora.LIMITS, backoff_s=0.001))  # retries at once
    yield home
    plugins._host.cache_clear()


@pytest.fixture
def with_corpora(shared_corpora, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_CORPORA", str(shared_corpora))
    return shared_corpora


@pytest.fixture
def http_server(tmp_path):
    """Serve a folder on 127.0.0.1 (never the internet); yields (folder, base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
