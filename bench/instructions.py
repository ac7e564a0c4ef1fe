"""Instructions per request, counted by Valgrind's callgrind: the same on a busy machine.

Requests per second and even CPU time move with the neighbours on a shared VM (a busy
neighbour steals cycles and caches). The number of instructions a request executes does not:
two runs agree to a fraction of a percent. This runs every page in-process (Django's test
client, DEBUG off, SQLite) under `valgrind --tool=callgrind --instr-atstart=no`; a tiny C
helper turns counting on, zeroes it before each page and dumps it after, so start-up is not
counted. Reported: instructions per request and their ratio to the floor (/health/), the
in-process twin of the requests-per-second ratio.

Usage: python bench/instructions.py [--requests 5]   (needs valgrind and a C compiler)
"""

import argparse
import ctypes
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELPER = r"""
#include <valgrind/callgrind.h>
void bench_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void bench_zero(void) { CALLGRIND_ZERO_STATS; }
void bench_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""


def build_helper(folder):
    source, library = Path(folder) / "cg.c", Path(folder) / "libcg.so"
    source.write_text(HELPER)
    subprocess.run(
        ["cc", "-O1", "-shared", "-fPIC", "-o", str(library), str(source)], check=True
    )
    return library


def prepare(folder):
    """A production-like SQLite database with the bench week; outside valgrind (fast)."""
    sys.path.insert(0, str(ROOT))
    from bench.run import SETUP
    from bench.server import manage

    env = environment(folder)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_catalogue", "-v0")
    return manage(env, "shell", "-c", SETUP).split()[-2:]


def environment(folder):
    return (
        os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "bonefit.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
            "DJANGO_SECURE": "false",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
            "DJANGO_LOGIN_FAILURE_LIMIT": "1000",
            "DJANGO_EMAIL_DISABLED": "true",
            "PYTHONHASHSEED": "0",  # the same dict orders, so the same instructions, every run
            "PYTHONMALLOC": "malloc",  # valgrind sees every allocation
            "PYTHONPATH": str(ROOT),
        }
    )


def measure_in_valgrind(library, week, adding, requests):
    """Runs inside valgrind: warm each page, then count `requests` of it between dumps."""
    import django

    django.setup()
    from bs4 import BeautifulSoup
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    helper = ctypes.CDLL(str(library))
    client = Client()
    client.force_login(User.objects.get(username="bench"))
    add_url = reverse("routines:item_add", args=[adding, "sit-to-stand"]) + "?day=wed"
    form = BeautifulSoup(client.get(add_url).content, "html.parser").select_one(
        "main form[method=post]:has(input[name=csrfmiddlewaretoken])"
    )
    body = {}
    for field in form.select("input, select"):
        name, kind = field.get("name"), field.get("type", "text")
        if not name or kind in {"submit", "button", "file"}:
            continue
        if field.name == "select":
            chosen = field.select("option[selected]") or field.select("option")[:1]
            body[name] = chosen[0].get("value", "") if chosen else ""
        elif kind in {"checkbox", "radio"}:
            if field.has_attr("checked"):
                body[name] = field.get("value", "on")
        else:
            body[name] = field.get("value", "")
    body["submission_token"] = ""

    def get(url, cached=True):
        def request():
            if not cached:
                cache.clear()
            assert client.get(url).status_code == 200, url

        return request

    def post():
        assert client.post(add_url, body).status_code == 302, (
            "the add form did not save"
        )

    pages = {
        "trivial view (floor)": get("/health/"),
        "week page, cached": get(f"/routines/{week}/"),
        "week page, uncached": get(f"/routines/{week}/", cached=False),
        "print view": get(f"/routines/{week}/print/"),
        "catalogue list, cached": get("/catalogue/"),
        "catalogue list, uncached": get("/catalogue/", cached=False),
        "POST add item": post,
    }
    helper.bench_start()
    for label, run in pages.items():
        run()
        run()  # warm: templates compiled, caches filled
        # A collection owed by the work before would land in this page's count, by chance
        # of where the allocations fall: start each page's count with none owed.
        gc.collect()
        helper.bench_zero()
        for _ in range(requests):
            run()
        helper.bench_dump(label.encode())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--inside", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        library, week, adding, requests = args.inside
        measure_in_valgrind(library, week, adding, int(requests))
        return 0
    if not shutil.which("valgrind") or not shutil.which("cc"):
        print(
            "valgrind or cc missing: apt-get install -y valgrind gcc", file=sys.stderr
        )
        return 2
    folder = tempfile.mkdtemp(prefix="bonefit-cg-")
    try:
        library = build_helper(folder)
        week, adding = prepare(folder)
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={folder}/cg.out",
                sys.executable,
                __file__,
                "--inside",
                str(library),
                week,
                adding,
                str(args.requests),
            ],
            env=environment(folder),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        counts = {}
        for dump in sorted(
            Path(folder).glob("cg.out.*"), key=lambda p: int(p.suffix[1:])
        ):
            text = dump.read_text(errors="replace")
            label = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
            total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
            if label and total:
                counts[label.group(1)] = int(total.group(1)) / args.requests
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    floor = counts["trivial view (floor)"]
    print(
        f"\n## Instructions per request (callgrind, in-process, SQLite; {args.requests} requests each)\n"
    )
    print("| page | instructions per request | ratio to floor |\n|---|---|---|")
    for label, count in counts.items():
        print(f"| {label} | {count / 1e6:.1f} M | {floor / count:.0%} |")
    print(json.dumps({"instructions": counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
