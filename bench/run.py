"""`make bench`: query counts, safety-check timings, requests per second and page weight.

Everything is measured in one run on this machine and printed as ratios where the machine's
speed would otherwise dominate. Targets (issue 6) are checked; the exit status is 1 if one fails.
"""

import gzip
import json
import re
import shutil
import statistics
import subprocess
import sys
import timeit
import urllib.parse
import urllib.request
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import production_server  # noqa: E402
from routines import safety  # noqa: E402  (pure: no Django needed)

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
"""
TARGETS = {"rps_ratio": 0.40, "safety_60_ms": 1.0, "week_kb_gz": 100, "week_queries": 8}


def safety_timings():
    """Median time of safety.check for weeks of 14, 60 and 500 items (pure Python, no database)."""
    exercises = [
        safety.Exercise(
            f"e{n}",
            patterns=frozenset([safety.PATTERN_CODES[n % 9]] if n % 3 == 0 else []),
            weight_bearing=n % 2 == 0,
            strengthening=n % 3 == 1,
            trains_balance=n % 5 == 0,
            alternatives=("a", "b"),
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
        timer = timeit.Timer(lambda items=items: safety.check(profile, items))
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
    routine = int(re.search(rb'href="/routines/(\d+)/"', page).group(1))
    return opener, cookies, routine


def wrk(url, cookies, seconds):
    command = ["wrk", "-t1", "-c8", f"-d{seconds}s", "-H", f"Cookie: {cookies}", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return rps


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
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    results = {"safety_ms": safety_timings()}
    if not shutil.which("wrk"):
        sys.exit(
            "wrk is missing: apt-get install -y wrk (make bench installs it when run as root)"
        )
    with production_server(workers=2, setup_script=SETUP) as (base, env, folder):
        opener, cookies, routine = log_in(base)
        week = f"{base}/routines/{routine}/"
        for url in (
            f"{base}/health/",
            week,
            f"{base}/catalogue/",
        ):  # warm up every worker
            wrk(url, cookies, 2)
        floor_before = wrk(f"{base}/health/", cookies, seconds)
        week_rps = wrk(week, cookies, seconds)
        catalogue_rps = wrk(f"{base}/catalogue/", cookies, seconds)
        floor_after = wrk(f"{base}/health/", cookies, seconds)
        floor = (floor_before + floor_after) / 2
        results["rps"] = {
            "trivial view (floor)": floor,
            "week page, 14 items": week_rps,
            "catalogue list, 67 exercises": catalogue_rps,
        }
        results["weight"] = page_weight(opener, base, f"/routines/{routine}/")
        queries = subprocess.run(
            [sys.executable, "bench/measure_queries.py"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        results["queries"] = json.loads(queries.stdout.strip().splitlines()[-1])
    return report(results)


def report(results):
    failures = []
    print("\n## SQL queries per page (must not grow with size)\n")
    print("| page | sizes | queries |\n|---|---|---|")
    for page, counts in results["queries"].items():
        print(
            f"| {page} | {', '.join(counts)} | {', '.join(str(v) for v in counts.values())} |"
        )
        if len(set(counts.values())) != 1:
            failures.append(f"{page} query count grows: {counts}")
    if max(results["queries"]["week page"].values()) > TARGETS["week_queries"]:
        failures.append("week page above 8 queries")

    print("\n## Safety check, pure Python (median of 15 runs)\n")
    print("| week size | median |\n|---|---|")
    for size, ms in results["safety_ms"].items():
        print(f"| {size} items | {ms * 1000:.0f} µs |")
    if results["safety_ms"][60] >= TARGETS["safety_60_ms"]:
        failures.append("safety check of 60 items is not under 1 ms")

    print("\n## Requests per second (wrk -t1 -c8, gunicorn -w 2, SQLite, DEBUG off)\n")
    print("| URL | req/s | ratio to floor |\n|---|---|---|")
    floor = results["rps"]["trivial view (floor)"]
    for name, rps in results["rps"].items():
        ratio = rps / floor
        print(f"| {name} | {rps:.0f} | {ratio:.0%} |")
        if ratio < TARGETS["rps_ratio"]:
            failures.append(f"{name} at {ratio:.0%} of the floor")

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
