"""Shared fixtures: small data and small, fast models; a helper to interrupt a script."""

import signal
import subprocess
import sys
import threading
import time

import pytest

import anila

def pytest_configure(config):
    config.addinivalue_line("markers", "quality: a long training-quality run: in `make test-quality`, not in `make test`")


FAST = dict(hidden=(16, 16), steps=5, batch_size=64, buffer_size=500, progress=False)


@pytest.fixture(scope="session")
def rings():
    return anila.datasets.rings(2000, seed=0)


@pytest.fixture(scope="session")
def small_model(rings):
    return anila.train(rings, iterations=20, seed=1, **FAST)


def interrupt_when_ready(script, wait: float):
    """Run script (a path) in a fresh Python, wait for its line "ready", let it work for wait
    seconds, send SIGINT and return (process, the next line it prints). A 120 s watchdog
    kills it if it hangs; nothing here measures how fast it answers."""
    # A shell that starts pytest as a background job (CI scripts, `cmd &`) ignores SIGINT, and
    # the child would inherit that: start it with the default disposition, as a terminal does.
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    watchdog = threading.Timer(120, p.kill)
    watchdog.start()
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(wait)
        p.send_signal(signal.SIGINT)
        return p, p.stdout.readline()
    finally:
        watchdog.cancel()
