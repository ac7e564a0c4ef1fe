"""Throwaway PostgreSQL and Redis servers for tests that need real ones.

Each server runs from a temporary directory on a free port on 127.0.0.1, with no service
manager, and is stopped by its own pid. Locally a missing binary skips the test with the
command that installs it; under CI (CI or REQUIRE_BROWSER set) it fails instead.
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def required():
    return bool(os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER"))


def missing(reason):
    """Skip locally, fail under CI: CI must never go green without running the check."""
    if required():
        pytest.fail(f"{reason} (required under CI)")
    pytest.skip(reason)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, what, attempts=400):
    """Poll until `port` accepts connections: at most `attempts` tries, 50 ms apart."""
    for _ in range(attempts):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), 0.2),
        ):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}")


def redis_binary():
    return shutil.which("redis-server")


def postgres_bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextlib.contextmanager
def redis_server():
    """A Redis with no persistence, in its own temporary directory; yields its URL."""
    binary = redis_binary()
    if not binary:
        missing("redis-server missing: apt-get install -y redis-server")
    directory = tempfile.mkdtemp(prefix="bonefit-redis-")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


def _as_postgres_user():
    """PostgreSQL refuses to run as root; CI runs as root, so drop to the postgres user."""
    if os.getuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


@contextlib.contextmanager
def postgres_server():
    """A fresh PostgreSQL cluster with trust authentication; yields a database URL."""
    bindir = postgres_bindir()
    if bindir is None:
        missing("PostgreSQL missing: apt-get install -y postgresql")
    # Its own directory under /tmp: pytest's tmp_path is private to root, and under CI
    # PostgreSQL runs as the postgres user.
    directory = tempfile.mkdtemp(prefix="bonefit-pg-")
    data = Path(directory) / "data"
    data.mkdir()
    if os.getuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ],
        check=True,
        **_as_postgres_user(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    process = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(data),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=50",
        ],
        **_as_postgres_user(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, "postgres")
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        process.terminate()  # SIGTERM: a smart shutdown, waits for clients to leave
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)
