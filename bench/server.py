"""A throwaway production-like BoneFit: its own SQLite file, collected static files, gunicorn."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args, stdin=None):
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        input=stdin,
        text=True,
        stdout=subprocess.DEVNULL,
    )


def manage_output(env, *args):
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=True,
    ).stdout


@contextmanager
def throwaway_database(server_url, folder):
    """A fresh database for one run: SQLite in `folder`, or a new one on a PostgreSQL server."""
    if not server_url or not server_url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{folder / 'db.sqlite3'}"
        return
    import psycopg  # noqa: PLC0415 - only for PostgreSQL runs

    name = f"bonefit_bench_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def production_server(*, workers=2, setup_script="", extra_env=None, database_url=None):
    """Yield (base_url, env, folder) for a gunicorn server over a fresh database.

    The database is SQLite in a temporary folder, or a new database on the PostgreSQL
    server of `database_url`.
    """
    folder = Path(tempfile.mkdtemp(prefix="bonefit-bench-"))
    with ExitStack() as stack:
        url = stack.enter_context(throwaway_database(database_url, folder))
        yield stack.enter_context(
            _gunicorn(folder, url, workers, setup_script, extra_env)
        )


@contextmanager
def _gunicorn(folder, database_url, workers, setup_script, extra_env):
    port = free_port()
    env = (
        os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "bonefit.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE": "false",  # plain http on loopback
            "DATABASE_URL": database_url,
            "DJANGO_STATIC_ROOT": str(folder / "static"),
            "DJANGO_LOGIN_FAILURE_LIMIT": "1000",
            "DJANGO_EMAIL_DISABLED": "true",
            "PYTHONPATH": str(ROOT),
        }
        | (extra_env or {})
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "load_catalogue", "-v0")
    if setup_script:
        manage(env, "shell", "-c", setup_script)
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            GUNICORN,
            "bonefit.wsgi:application",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/catalogue/", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(
                "gunicorn did not start: " + (folder / "gunicorn.log").read_text()
            )
        yield base, env, folder
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
