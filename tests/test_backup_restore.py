"""Backups that really restore: the commands of docs/deploy.md, run as written.

A patient's week with a Danger exercise, one to take care with and one confirmed is shown by a
real server (gunicorn with the production settings); the database and the pictures are backed
up with the documented commands; the original database and picture folder are then deleted;
the backup is restored into a fresh database and folder with the documented commands, and a
new server on the restored copy must show the same week, the same printed sheet and the same
picture. PostgreSQL (pg_dump, createdb, pg_restore) and SQLite (the online backup API) both.
"""

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.servers import postgres_bindir, postgres_server
from tests.test_two_hosts import GUNICORN, Browser, Host

ROOT = Path(__file__).resolve().parent.parent
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
PASSWORD = "backup-restore-password-42"

# The lines of docs/deploy.md that this file runs, word for word (a test below keeps the doc
# holding each of them). Each runs in bash with the variables the doc says to set.
POSTGRES_BACKUP = [
    'pg_dump --format=custom --file="$BACKUP" "$DATABASE_URL"',
    'tar --create --gzip --file="$MEDIA_BACKUP" --directory="$DJANGO_MEDIA_ROOT" .',
]
POSTGRES_RESTORE = [
    'createdb --maintenance-db="$DATABASE_URL" bonefit_restored',
    'pg_restore --no-owner --exit-on-error --single-transaction --dbname="$RESTORED_DATABASE_URL" "$BACKUP"',
    'mkdir -p "$DJANGO_MEDIA_ROOT" && tar --extract --gzip --file="$MEDIA_BACKUP" --directory="$DJANGO_MEDIA_ROOT"',
    'DATABASE_URL="$RESTORED_DATABASE_URL" .venv/bin/python manage.py migrate --noinput',
    'DATABASE_URL="$RESTORED_DATABASE_URL" .venv/bin/python manage.py check --deploy --database default',
]
SQLITE_BACKUP = [
    ".venv/bin/python -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' db.sqlite3 \"$BACKUP\"",
]
SQLITE_BACKUP_WITH_CLI = [
    "sqlite3 db.sqlite3 \".backup '$BACKUP'\"",
]
SQLITE_RESTORE = [
    'cp "$BACKUP" db.sqlite3',
    ".venv/bin/python manage.py migrate --noinput",
]

# A 1x1 PNG: the exercise picture that the media backup must bring back.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201"
    "5e2d1c8a0000000049454e44ae426082"
)

SETUP = f"""
import json
from django.core.files.base import ContentFile
from tests.factories import make_exercise, make_item, make_patterns, make_profile, make_routine, make_user
make_patterns()
patient = make_user("rosa", password="{PASSWORD}", first_name="Rosa", last_name="Lind")
make_profile(patient, diagnosis="osteoporosis")
bridge = make_exercise(name="Bridge on the bed", slug="bridge-on-the-bed", strengthening=True)
bridge.picture.save("bridge.png", ContentFile(bytes.fromhex("{PNG.hex()}")))
jumping = make_exercise(name="Jumping jacks", slug="jumping-jacks",
    patterns=["HIGH_IMPACT", "RAPID_JERKY"], alternatives=[bridge])
sit_up = make_exercise(name="Sit-up", slug="sit-up", patterns=["SPINAL_FLEXION"])
golf = make_exercise(name="Golf swing", slug="golf-swing", patterns=["SPINAL_TWIST"])
toe_touch = make_exercise(name="Toe touch", slug="toe-touch", patterns=["SPINAL_FLEXION"],
    alternatives=[bridge])
routine = make_routine(owner=patient, name="Rosa's strong week")
make_item(routine, bridge, day=0, sets=2, reps=8)
make_item(routine, golf, day=1)
make_item(routine, jumping, day=2)
make_item(routine, toe_touch, day=3)
make_item(routine, sit_up, day=5, acknowledged_codes="SPINAL_FLEXION")
print(json.dumps({{"routine": routine.get_absolute_url(), "picture_exercise": bridge.get_absolute_url()}}))
"""


def environment(**values):
    """The production settings (with the tests' fast hasher) and nothing from this process."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST"))
        and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    bindir = postgres_bindir()
    path = os.pathsep.join(
        [str(bindir)] * bool(bindir) + [inherited.get("PATH", os.defpath)]
    )
    return inherited | {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE": "false",  # plain http on loopback
        "PYTHONPATH": str(ROOT),
        "PATH": path,
        **values,
    }


def run_documented(lines, env, cwd=ROOT):
    """Run each documented line in bash, as an operator would paste it; return the output."""
    output = []
    for line in lines:
        command = line.replace(".venv/bin/python", shlex.quote(sys.executable))
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        output.append(done.stdout)
    return output


def manage(env, *args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def words(element):
    return re.sub(r"\s+", " ", element.get_text(" ", strip=True))


def what_the_patient_sees(host, urls):
    """Sign in on `host` and read the week page, the printed sheet and the picture."""
    browser = Browser()
    status, _, _ = browser.log_in(host.url, "rosa", PASSWORD)
    assert status == 302, "signing in failed"
    status, _, page = browser.get(host.url + urls["routine"])
    assert status == 200
    week = BeautifulSoup(page, "html.parser")
    status, _, page = browser.get(host.url + urls["routine"] + "print/")
    assert status == 200
    sheet = BeautifulSoup(page, "html.parser")
    status, _, page = browser.get(host.url + urls["picture_exercise"])
    assert status == 200
    picture_url = BeautifulSoup(page, "html.parser").select_one("main img")["src"]
    picture = browser.opener.open(host.url + picture_url, timeout=120).read()
    return {
        "title": words(week.select_one("h1")),
        "check": words(week.select_one(".week-summary")),
        "items": [
            (
                article["id"],
                words(article.find_parent("section").select_one("h2")),
                words(article.select_one(".item-title")),
                [words(f) for f in article.select(".finding")],
            )
            for article in week.select("article.item")
        ],
        "printed_for": words(sheet.select_one(".sheet-week strong")),
        "printed_days": [words(row) for row in sheet.select(".week-grid tr")],
        "printed_sheets": [words(a) for a in sheet.select(".exercise-sheet")],
        "picture": (picture_url, picture),
    }


def assert_the_findings_are_there(seen):
    """The week is not empty and says what matters: otherwise 'the same' proves nothing."""
    by_name = {name: findings for _, _, name, findings in seen["items"]}
    assert seen["title"] == "Rosa's strong week"
    assert by_name["Bridge on the bed"] == []
    assert any(f.startswith("✖ Danger: Bending forward") for f in by_name["Toe touch"])
    assert any(f.startswith("✖ Danger: Bending forward") for f in by_name["Sit-up"])
    assert any(f.startswith("⚠ Take care: Twisting") for f in by_name["Golf swing"])
    # Two patterns, one box: both named in its heading, each message once.
    (jumping,) = by_name["Jumping jacks"]
    assert jumping.startswith("⚠ Take care: Sudden or jerky movement and jumping")
    assert "Jumping, running and hard landings jolt the bones" in jumping
    assert "1 exercise needs your attention: Thursday (Toe touch)" in seen["check"]
    assert (
        "marked Danger, confirmed with your therapist: Saturday (Sit-up)"
        in (seen["check"])
    )
    assert (
        "2 exercises to take care with: Tuesday (Golf swing) , Wednesday (Jumping jacks)"
        in seen["check"]
    )
    assert seen["printed_for"] == "Rosa Lind"
    assert (
        "Thursday ✖ Toe touch – 10 times · ✖ Danger: bending forward from the waist"
        " · not yet confirmed" in seen["printed_days"]
    )
    toe_touch = next(s for s in seen["printed_sheets"] if s.startswith("Toe touch"))
    assert "Steps not printed" in toe_touch
    assert "Stand tall" not in toe_touch
    assert seen["picture"][1] == PNG


def serve(env):
    if not Path(GUNICORN).exists():
        pytest.fail(f"{GUNICORN} missing: pip install -e '.[dev]'")
    return Host(env)


def show_then_stop(env, urls):
    host = serve(env)
    try:
        return what_the_patient_sees(host, urls)
    finally:
        host.stop()


def wait_until_accepting(server_url, env, attempts=400):
    """The port opens before PostgreSQL takes connections: poll pg_isready, 50 ms apart."""
    for _ in range(attempts):
        ready = subprocess.run(
            ["pg_isready", "--quiet", f"--dbname={server_url}"], env=env, check=False
        )
        if ready.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError("PostgreSQL did not accept connections")


def test_a_postgresql_backup_restores_into_a_fresh_database_with_the_same_week(
    tmp_path,
):
    with postgres_server() as server_url:
        server = server_url.rsplit("/", 1)[0]
        media = tmp_path / "media"
        env = environment(
            DATABASE_URL=f"{server}/bonefit",
            DJANGO_MEDIA_ROOT=str(media),
            BACKUP=str(tmp_path / "bonefit.dump"),
            MEDIA_BACKUP=str(tmp_path / "media.tar.gz"),
        )
        wait_until_accepting(server_url, env)
        subprocess.run(
            ["createdb", f"--maintenance-db={server_url}", "bonefit"],
            env=env,
            check=True,
        )
        manage(env, "migrate", "--noinput", "-v0")
        urls = json.loads(manage(env, "shell", "-v0", "-c", SETUP))
        before = show_then_stop(env, urls)
        assert_the_findings_are_there(before)

        run_documented(POSTGRES_BACKUP, env)

        restored_media = tmp_path / "restored-media"
        restore_env = env | {
            "RESTORED_DATABASE_URL": f"{server}/bonefit_restored",
            "DJANGO_MEDIA_ROOT": str(restored_media),
        }
        output = run_documented(POSTGRES_RESTORE, restore_env)
        assert "No migrations to apply." in output[3]  # the dump held every migration

        # The original is gone: whatever the restored server shows came from the backup.
        subprocess.run(
            ["dropdb", f"--maintenance-db={server_url}", "bonefit"],
            env=env,
            check=True,
        )
        shutil.rmtree(media)
        after = show_then_stop(
            restore_env | {"DATABASE_URL": restore_env["RESTORED_DATABASE_URL"]}, urls
        )

    assert after == before


def _sqlite_round_trip(tmp_path, backup_lines):
    # A BoneFit folder of its own (manage.py, db.sqlite3), so that the documented commands,
    # which name db.sqlite3 in the current folder, never touch the developer's database.
    install = tmp_path / "install"
    install.mkdir()
    (install / "manage.py").symlink_to(ROOT / "manage.py")
    env = environment(
        DATABASE_URL=f"sqlite:///{install / 'db.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(install / "media"),
        BACKUP=str(tmp_path / "backup.sqlite3"),
    )
    manage(env, "migrate", "--noinput", "-v0")
    urls = json.loads(manage(env, "shell", "-v0", "-c", SETUP))
    host = serve(env)
    try:
        before = what_the_patient_sees(host, urls)
        # Online: the server is running and holds the database open (WAL) meanwhile.
        run_documented(backup_lines, env, cwd=install)
    finally:
        host.stop()
    assert_the_findings_are_there(before)

    # A new machine: an empty folder, the backup copied in, the same pictures.
    restored = tmp_path / "restored"
    restored.mkdir()
    (restored / "manage.py").symlink_to(ROOT / "manage.py")
    shutil.copytree(install / "media", restored / "media")
    shutil.rmtree(install)
    restore_env = env | {
        "DATABASE_URL": f"sqlite:///{restored / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(restored / "media"),
    }
    output = run_documented(SQLITE_RESTORE, restore_env, cwd=restored)
    assert "No migrations to apply." in output[1]
    assert show_then_stop(restore_env, urls) == before


def test_a_sqlite_backup_taken_while_the_server_runs_restores_the_same_week(tmp_path):
    _sqlite_round_trip(tmp_path, SQLITE_BACKUP)


def test_the_sqlite3_command_line_backup_restores_the_same_week(tmp_path):
    if not shutil.which("sqlite3"):
        pytest.skip("the sqlite3 command is not installed (apt-get install -y sqlite3)")
    _sqlite_round_trip(tmp_path, SQLITE_BACKUP_WITH_CLI)


def test_the_deploy_doc_gives_the_commands_these_tests_run():
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    for line in (
        POSTGRES_BACKUP
        + POSTGRES_RESTORE
        + SQLITE_BACKUP
        + SQLITE_BACKUP_WITH_CLI
        + SQLITE_RESTORE
    ):
        assert line in text, line
