"""20 logged-in patients add exercises at the same time for 20 s against gunicorn + SQLite.

Prints the number of 5xx answers and of lost writes (a "saved" answer whose item is not in
the database); exits 1 unless both are 0.  Usage: python bench/concurrent_writes.py [--seconds N]
"""

import argparse
import http.cookiejar
import json
import re
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.server import production_server  # noqa: E402

PASSWORD = "bench-password-123"
SETUP = """
from django.contrib.auth.models import User
from routines.models import HealthProfile, Routine
for n in range({writers}):
    user = User.objects.create_user(f"writer{{n}}", password="{password}")
    HealthProfile.objects.create(user=user, diagnosis="osteopenia")
    Routine.objects.create(owner=user, name="Busy week")
"""
SLUGS = [
    "brisk-walking",
    "sit-to-stand",
    "heel-raises",
    "tai-chi",
    "wall-push-up",
    "band-row",
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def writer(base, number, stop_at, results):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), NoRedirect
    )

    def send(path, data=None):
        body = None
        if data is not None:
            token = next(c.value for c in jar if c.name == "csrftoken")
            body = urllib.parse.urlencode(
                data | {"csrfmiddlewaretoken": token}
            ).encode()
        try:
            with opener.open(base + path, body, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    send("/accounts/login/")
    status, _ = send(
        "/accounts/login/", {"username": f"writer{number}", "password": PASSWORD}
    )
    assert status == 302, f"login failed: {status}"
    _, page = send("/routines/")
    routine_pk = int(
        re.search(rb'href="/routines/(\d+)/"', page).group(1)
    )  # their only routine
    n = 0
    while time.monotonic() < stop_at:
        slug = SLUGS[n % len(SLUGS)]
        token = str(uuid.uuid4())
        status, _ = send(
            f"/routines/{routine_pk}/items/add/",
            {
                "exercise": slug,
                "day": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][n % 7],
                "sets": "2",
                "reps": "10",
                "minutes": "",
                "load_kg": "",
                "notes": f"w{number}-{n}",
                "submission_token": token,
            },
        )
        results.append((number, status, token))
        n += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    setup = SETUP.format(writers=args.writers, password=PASSWORD)
    with production_server(workers=args.workers, setup_script=setup) as (
        base,
        env,
        folder,
    ):
        results = []
        stop_at = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=writer, args=(base, n, stop_at, results))
            for n in range(args.writers)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        statuses = Counter(status for _, status, _ in results)
        saved_tokens = {token for _, status, token in results if status == 302}
        with sqlite3.connect(folder / "db.sqlite3") as db:
            stored = {
                row[0].replace("-", "")
                for row in db.execute(
                    "SELECT submission_token FROM routines_routineitem WHERE submission_token IS NOT NULL"
                )
            }
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        lost = len({t.replace("-", "") for t in saved_tokens} - stored)
        server_errors = sum(
            count for status, count in statuses.items() if status >= 500
        )
        report = {
            "writers": args.writers,
            "seconds": round(elapsed, 1),
            "requests": len(results),
            "writes_per_second": round(len(results) / elapsed, 1),
            "statuses": dict(sorted(statuses.items())),
            "server_errors": server_errors,
            "saved": len(saved_tokens),
            "stored": len(stored),
            "lost_writes": lost,
            "sqlite_integrity": integrity,
        }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>18}: {value}")
    ok = (
        results
        and server_errors == 0
        and lost == 0
        and integrity == "ok"
        and statuses.get(302, 0) == len(results)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
