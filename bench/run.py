"""`make bench`: requests per second as a ratio to a trivial view, CPU time per request,
query counts, safety-check timings and page weight.

A shared machine is noisy: a neighbour can halve the requests per second of a run. So the
floor (a trivial Django view) and each page are measured in turn, floor - page - floor -
page ..., for several rounds; each page's ratio is taken against the floors on either side
of it, and the median over the rounds is what counts. Beside it, the CPU time the gunicorn
workers spent per request (read from /proc) does not depend on how long they waited for a
core at all. Four servers: SQLite and PostgreSQL, each with its cache and without (the first
view after any change pays the uncached price). The exit status is 1 only when a median
misses its target.
"""

import argparse
import contextlib
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import timeit
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import production_server  # noqa: E402
from routines import safety  # noqa: E402  (pure: no Django needed)
from tests.servers import postgres_bindir, postgres_server  # noqa: E402

PASSWORD = "bench-password-123"
SETUP = f"""
from django.contrib.auth.models import User
from catalogue.models import Exercise
from routines.models import HealthProfile, Routine, RoutineItem
user = User.objects.create_user("bench", password="{PASSWORD}")
HealthProfile.objects.create(user=user, diagnosis="osteoporosis", fracture_wrist=True)
routine = Routine.objects.create(owner=user, name="Fourteen items")
slugs = ["brisk-walking", "sit-to-stand", "wall-push-up", "single-leg-stance-supported", "chin-tucks",
         "golf-swing", "brisk-walking", "heel-drops", "squat-to-chair", "band-row", "biceps-curl-light",
         "tai-chi", "brisk-walking", "sit-up"]
by_slug = Exercise.objects.in_bulk(slugs, field_name="slug")
RoutineItem.objects.bulk_create(
    RoutineItem(routine=routine, exercise=by_slug[slug], day=n % 6, position=n // 6, sets=2, reps=10)
    for n, slug in enumerate(slugs))
Routine.objects.create(owner=user, name="Adding here")  # POST add item grows this one
print(routine.pk, Routine.objects.get(name="Adding here").pk)
"""
# Week queries, counted for a first visit after a catalogue change: session, user,
# routine, the care links, the catalogue version (the cache key), the items, and (once per
# process and catalogue version) the items' exercises, alternatives and patterns and the
# therapists' rules. A warm process runs six.
TARGETS = {"safety_60_ms": 1.0, "week_kb_gz": 100, "week_queries": 10}
# Median ratio to the floor, checked on SQLite (the default deployment); PostgreSQL is
# reported beside it. Cached: issue 6; uncached: issue 15.
RATIO_TARGETS = {
    "cached": {"week page": 0.40, "catalogue list": 0.40},
    "uncached": {
        "week page": 0.25,
        "print view": 0.25,
        "catalogue list": 0.25,
        "POST add item": 0.20,
    },
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def safety_timings():
    """Median time of safety.check for weeks of 14, 60 and 500 items (pure Python, no database)."""
    safer = (safety.Exercise("a", "A"), safety.Exercise("b", "B", weight_bearing=True))
    exercises = [
        safety.Exercise(
            f"e{n}",
            patterns=frozenset([safety.PATTERN_CODES[n % 9]] if n % 3 == 0 else []),
            weight_bearing=n % 2 == 0,
            strengthening=n % 3 == 1,
            trains_balance=n % 5 == 0,
            alternatives=safer,
        )
        for n in range(40)
    ]
    profile = safety.Profile(
        "osteoporosis", frozenset({"wrist"}), falls_last_year=True, neuropathy=True
    )
    timings = {}
    for size in (14, 60, 500):
        items = [
            safety.Item(
                safety.DAYS[n % 7],
                exercises[n % 40],
                sets=2,
                reps=10,
                minutes=35 if n % 4 == 0 else None,
                load_kg=Decimal("12") if n % 5 == 0 else None,
            )
            for n in range(size)
        ]
        # CPU time, not wall time: a busy neighbour must not make the rules look slow.
        timer = timeit.Timer(
            lambda items=items: safety.check(profile, items), timer=time.process_time
        )
        loops, _ = timer.autorange()
        runs = [timer.timeit(loops) / loops for _ in range(15)]
        timings[size] = statistics.median(runs) * 1000
    return timings


def log_in(base):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/accounts/login/")
    token = next(c.value for c in jar if c.name == "csrftoken")
    body = urllib.parse.urlencode(
        {"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    opener.open(base + "/accounts/login/", body.encode())
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    page = opener.open(base + "/routines/").read()
    routines = [int(n) for n in re.findall(rb'href="/routines/(\d+)/"', page)]
    return opener, jar, cookies, routines


def add_item_body(opener, jar, base, routine):
    """The add-item form as the page renders it (default dose), without its one-use token."""
    from bs4 import BeautifulSoup

    url = f"{base}/routines/{routine}/items/add/sit-to-stand/?day=wed"
    form = BeautifulSoup(opener.open(url).read(), "html.parser").select_one(
        "main form[method=post]:has(input[name=csrfmiddlewaretoken])"
    )
    data = {}
    for field in form.select("input, select, textarea"):
        name, kind = field.get("name"), field.get("type", "text")
        if not name or kind in {"submit", "button", "file"}:
            continue
        if field.name == "select":
            chosen = field.select("option[selected]") or field.select("option")[:1]
            data[name] = chosen[0].get("value", "") if chosen else ""
        elif kind in {"checkbox", "radio"}:
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.name == "textarea":
            data[name] = field.text
        else:
            data[name] = field.get("value", "")
    data["submission_token"] = ""  # every request a new item, as a person adding many
    action = urllib.parse.urljoin(url, form.get("action") or url)
    body = urllib.parse.urlencode(data)
    # One real submission first: it must save (a redirect), or wrk would time a form error.
    no_redirect = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), NoRedirect
    )
    try:
        no_redirect.open(action, body.encode())
        raise RuntimeError(f"POST {action} did not save: the form changed? {data}")
    except urllib.error.HTTPError as answer:
        if answer.code != 302:
            raise
    return action, body


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def tree_cpu_seconds(pid):
    """CPU time of a process and its live descendants, including children it has reaped."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append((int(stat.parent.name), fields))
    total, todo = 0, [pid]
    own = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total += sum(int(own[i]) for i in (11, 12, 13, 14))
    while todo:
        for child, fields in parents.get(todo.pop(), []):
            total += sum(int(fields[i]) for i in (11, 12, 13, 14))
            todo.append(child)
    return total / CLOCK_TICKS


def wrk(url, cookies, seconds, *, script=None):
    """(requests per second, requests) with wrk -t1 -c8."""
    command = ["wrk", "-t1", "-c8", f"-d{seconds}s", "-H", f"Cookie: {cookies}"]
    if script:
        command += ["-s", script]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return rps, requests


def post_script(folder, body, cookies):
    script = Path(folder) / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
    )
    return str(script)


def interleaved(pages, cookies, *, rounds, seconds, workers_pid, database_pid=None):
    """floor, page, floor, page, ... for `rounds` rounds.

    Returns {page: {"ratios": [...], "cpu_ms": [...], "db_cpu_ms": [...], "rps": [...]}}.
    """

    def one(url, script=None):
        cpu0 = tree_cpu_seconds(workers_pid)
        db0 = tree_cpu_seconds(database_pid) if database_pid else 0
        rps, requests = wrk(url, cookies, seconds, script=script)
        cpu = (tree_cpu_seconds(workers_pid) - cpu0) / requests * 1000
        db = (
            ((tree_cpu_seconds(database_pid) - db0) / requests * 1000)
            if database_pid
            else 0
        )
        return rps, cpu, db

    floor_url = pages["trivial view (floor)"][0]
    for url, script in pages.values():  # warm every worker and every template
        wrk(url, cookies, 1, script=script)
    results = {
        name: {"ratios": [], "cpu_ms": [], "db_cpu_ms": [], "rps": []} for name in pages
    }
    for _ in range(rounds):
        before = one(floor_url)
        results["trivial view (floor)"]["rps"].append(before[0])
        results["trivial view (floor)"]["cpu_ms"].append(before[1])
        results["trivial view (floor)"]["db_cpu_ms"].append(before[2])
        for name, (url, script) in pages.items():
            if name == "trivial view (floor)":
                continue
            rps, cpu, db = one(url, script)
            after = one(floor_url)
            floor = (before[0] + after[0]) / 2
            results[name]["ratios"].append(rps / floor)
            results[name]["rps"].append(rps)
            results[name]["cpu_ms"].append(cpu)
            results[name]["db_cpu_ms"].append(db)
            results["trivial view (floor)"]["cpu_ms"].append(after[1])
            results["trivial view (floor)"]["db_cpu_ms"].append(after[2])
            before = after
    return results


def measure_server(database, cache, *, rounds, seconds):
    """Start one server (SQLite or PostgreSQL, cached or not) and measure every page."""
    extra = (
        {}
        if cache == "cached"
        else {"DJANGO_SETTINGS_MODULE": "bench.settings_uncached"}
    )
    pids = {}
    with contextlib.ExitStack() as stack:
        database_url = None
        if database == "PostgreSQL":
            database_url = stack.enter_context(postgres_server())
            pids["database"] = int(
                Path(stack_pg_pidfile(database_url)).read_text().split()[0]
            )
        base, env, folder = stack.enter_context(
            production_server(
                workers=2,
                setup_script=SETUP,
                extra_env=extra,
                database_url=database_url,
                on_start=lambda pid: pids.__setitem__("workers", pid),
            )
        )
        opener, jar, cookies, _ = log_in(base)
        week, post_routine = map(int, env["BENCH_SETUP_OUTPUT"].split()[-2:])
        action, body = add_item_body(opener, jar, base, post_routine)
        pages = {
            "trivial view (floor)": (f"{base}/health/", None),
            "week page": (f"{base}/routines/{week}/", None),
            "print view": (f"{base}/routines/{week}/print/", None),
            "catalogue list": (f"{base}/catalogue/", None),
            "POST add item": (action, post_script(folder, body, cookies)),
        }
        measured = interleaved(
            pages,
            cookies,
            rounds=rounds,
            seconds=seconds,
            workers_pid=pids["workers"],
            database_pid=pids.get("database"),
        )
        extras = {}
        if database == "SQLite" and cache == "cached":
            extras["weight"] = page_weight(opener, base, f"/routines/{week}/")
            queries = subprocess.run(
                [sys.executable, "bench/measure_queries.py"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            extras["queries"] = json.loads(queries.stdout.strip().splitlines()[-1])
        return measured, extras


def stack_pg_pidfile(database_url):
    """postmaster.pid of the throwaway cluster serving `database_url` (its first line: pid)."""
    port = urllib.parse.urlparse(database_url).port
    for pidfile in Path("/tmp").glob("bonefit-pg-*/data/postmaster.pid"):
        lines = pidfile.read_text().splitlines()
        if len(lines) > 3 and lines[3].strip() == str(port):
            return pidfile
    raise RuntimeError(f"no postmaster.pid for port {port}")


def page_weight(opener, base, path):
    """Gzipped bytes of the page (as a compressing proxy sends it) and of each asset it links."""
    html = opener.open(base + path).read()
    sizes = {path: len(gzip.compress(html, 6))}
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    for asset in assets:
        request = urllib.request.Request(
            base + asset.decode(), headers={"Accept-Encoding": "gzip"}
        )
        with opener.open(request) as response:
            assert response.headers.get("Content-Encoding") == "gzip", asset
            sizes[asset.decode()] = len(response.read())
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="floor/page rounds (3 or more)"
    )
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be 3 or more: a median of fewer is not a median")
    if not shutil.which("wrk"):
        sys.exit(
            "wrk is missing: apt-get install -y wrk (make bench installs it when run as root)"
        )
    databases = ["SQLite"]
    if not args.sqlite_only:
        if postgres_bindir():
            databases.append("PostgreSQL")
        else:
            print(
                "PostgreSQL is not installed: measuring SQLite only.", file=sys.stderr
            )
    results = {"safety_ms": safety_timings(), "servers": {}}
    for database in databases:
        for cache in ("cached", "uncached"):
            print(f"::: {database}, {cache}", file=sys.stderr)
            measured, extras = measure_server(
                database, cache, rounds=args.rounds, seconds=args.seconds
            )
            results["servers"][(database, cache)] = measured
            results |= extras
    return report(results, args)


def report(results, args):
    failures = []
    print(
        f"\n## Requests per second: median of {args.rounds} interleaved rounds "
        f"(wrk -t1 -c8, {args.seconds} s a run; gunicorn -w 2, DEBUG off)\n"
    )
    print(
        "| database | cache | page | median ratio to floor (min–max) | req/s (median) "
        "| worker CPU per request | database CPU per request | target |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (database, cache), pages in results["servers"].items():
        for name, r in pages.items():
            target = RATIO_TARGETS[cache].get(name) if database == "SQLite" else None
            if name == "trivial view (floor)":
                ratio = "100 %"
            else:
                median = statistics.median(r["ratios"])
                ratio = f"{median:.0%} ({min(r['ratios']):.0%}–{max(r['ratios']):.0%})"
                if target and median < target:
                    failures.append(
                        f"{database} {cache} {name}: {median:.0%} < {target:.0%}"
                    )
            db_cpu = (
                f"{statistics.median(r['db_cpu_ms']):.2f} ms"
                if database != "SQLite"
                else "–"
            )
            print(
                f"| {database} | {cache} | {name} | {ratio} | {statistics.median(r['rps']):.0f} "
                f"| {statistics.median(r['cpu_ms']):.2f} ms | {db_cpu} "
                f"| {f'≥ {target:.0%}' if target else ''} |"
            )

    print("\n## SQL queries per page (must not grow with size)\n")
    print("| page | sizes | queries |\n|---|---|---|")
    for page, counts in results["queries"].items():
        print(
            f"| {page} | {', '.join(counts)} | {', '.join(str(v) for v in counts.values())} |"
        )
        # Fewer at a larger size is allowed (a week holding the floor transfer itself
        # needs no query for it); more is not.
        smallest, *larger = counts.values()
        if any(queries > smallest for queries in larger):
            failures.append(f"{page} query count grows: {counts}")
    if max(results["queries"]["week page"].values()) > TARGETS["week_queries"]:
        failures.append(f"week page above {TARGETS['week_queries']} queries")

    print("\n## Safety check, pure Python (median of 15 runs)\n")
    print("| week size | median |\n|---|---|")
    for size, ms in results["safety_ms"].items():
        print(f"| {size} items | {ms * 1000:.0f} µs |")
    if results["safety_ms"][60] >= TARGETS["safety_60_ms"]:
        failures.append("safety check of 60 items is not under 1 ms")

    print("\n## Week page weight, gzipped\n")
    print("| resource | bytes |\n|---|---|")
    for name, size in results["weight"].items():
        print(f"| {name} | {size:,} |")
    total = sum(results["weight"].values())
    print(f"| **total** | **{total:,}** ({total / 1024:.1f} KB) |")
    if total > TARGETS["week_kb_gz"] * 1024:
        failures.append(f"week page weighs {total / 1024:.1f} KB gzipped")

    print(
        "\n"
        + ("All targets met." if not failures else "MISSED: " + "; ".join(failures))
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
