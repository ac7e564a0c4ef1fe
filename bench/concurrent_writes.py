"""Concurrent writers against gunicorn: nothing lost, no 5xx, repeated tokens answered well.

Each writer is a patient who logs in first (outside the measured part: password hashing is
slow on purpose), waits for the others, then adds a fixed number of exercises. Every add is
sent twice at the same moment with one submission token (a double click), and every writer
also tries one token that another patient's add already used. Nothing here counts time: the
report is the number of lost writes, duplicated writes, 5xx answers and wrong answers to a
stolen token. With --json the last line is the report; exit status 0 when it is clean.

Usage: python bench/concurrent_writes.py [--writers 20] [--writes 25] [--database-url URL]
A PostgreSQL URL makes a throwaway database on that server for the run.
"""

import argparse
import http.cookiejar
import json
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.server import manage_output, production_server  # noqa: E402

PASSWORD = "bench-password-123"
SETUP = """
from django.contrib.auth.models import User
from routines.models import HealthProfile, Routine
for n in range({writers}):
    user = User.objects.create_user(f"writer{{n}}", password="{password}")
    HealthProfile.objects.create(user=user, diagnosis="osteopenia")
    Routine.objects.create(owner=user, name="Busy week")
"""
STORED = """
import json
from routines.models import RoutineItem
rows = RoutineItem.objects.exclude(submission_token=None).values_list(
    "submission_token", "routine__owner__username"
)
print(json.dumps([[str(token), owner] for token, owner in rows]))
"""
SLUGS = [  # all measured in repetitions
    "sit-to-stand",
    "heel-raises",
    "wall-push-up",
    "band-row",
    "bridge",
    "wall-slides",
]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Patient:
    def __init__(self, base, number):
        self.base, self.number = base, number
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def send(self, path, data=None):
        body = None
        if data is not None:
            token = next(c.value for c in self.jar if c.name.endswith("csrftoken"))
            body = urllib.parse.urlencode(
                data | {"csrfmiddlewaretoken": token}
            ).encode()
        request = urllib.request.Request(
            self.base + path, body, headers={"Referer": self.base + path}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def log_in(self):
        self.send("/accounts/login/")
        status, _ = self.send(
            "/accounts/login/",
            {"username": f"writer{self.number}", "password": PASSWORD},
        )
        assert status == 302, f"login of writer{self.number} failed: {status}"
        _, page = self.send("/routines/")
        self.routine = int(re.search(rb'href="/routines/(\d+)/"', page).group(1))

    def add(self, n, token):
        slug = SLUGS[n % len(SLUGS)]
        return self.send(
            f"/routines/{self.routine}/items/add/{slug}/",
            {
                "exercise": slug,
                "day": DAYS[n % 7],
                "sets": "2",
                "reps": "10",
                "minutes": "",
                "load_kg": "",
                "notes": f"w{self.number}-{n}",
                "submission_token": token,
            },
        )


def double_click(patient, n, token, results):
    """The same add sent twice at once, as a double click does."""
    answers = []
    clicks = [
        threading.Thread(target=lambda: answers.append(patient.add(n, token)[0]))
        for _ in range(2)
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    results.append((patient.number, token, answers))


def writer(patient, writes, start, results, stolen):
    start.wait()
    for n in range(writes):
        double_click(patient, n, str(uuid.uuid4()), results)
    # a token another patient's add used: a plain 400, nothing made
    victim_token = stolen[(patient.number + 1) % len(stolen)]
    stolen_answers = [patient.add(writes, victim_token)[0]]
    results.append((patient.number, None, stolen_answers))


def run(writers, writes, database_url=None):
    setup = SETUP.format(writers=writers, password=PASSWORD)
    with production_server(
        workers=4, setup_script=setup, database_url=database_url
    ) as (base, env, folder):
        patients = [Patient(base, n) for n in range(writers)]
        for patient in patients:
            patient.log_in()
        # each patient's first add is made before the race, so its token can be stolen
        results, stolen = [], []
        for patient in patients:
            token = str(uuid.uuid4())
            status, body = patient.add(0, token)
            assert status == 302, f"first add failed: {status} {body[-3000:]!r}"
            stolen.append(token)
        start = threading.Barrier(writers)
        threads = [
            threading.Thread(
                target=writer, args=(patient, writes, start, results, stolen)
            )
            for patient in patients
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = json.loads(manage_output(env, "shell", "-c", STORED).splitlines()[-1])
    statuses = Counter(status for _, _, answers in results for status in answers)
    acknowledged = {token for _, token, answers in results if token and 302 in answers}
    per_token = Counter(token for token, _ in stored)
    owner_of = dict(stored)
    stolen_answers = [answers[0] for _, token, answers in results if token is None]
    return {
        "writers": writers,
        "writes_each": writes,
        "double_clicks": sum(1 for _, token, _ in results if token),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors": sum(c for s, c in statuses.items() if s >= 500),
        "acknowledged": len(acknowledged),
        "lost_writes": len(acknowledged - set(per_token)),
        "duplicated_writes": sum(1 for count in per_token.values() if count > 1),
        "stolen_token_not_400": sum(1 for status in stolen_answers if status != 400),
        "stolen_token_misfiled": sum(
            1 for n, token in enumerate(stolen) if owner_of.get(token) != f"writer{n}"
        ),
        "items_stored": len(stored),
        "items_expected": writers * (writes + 1),
    }


def clean(report):
    return (
        report["server_errors"] == 0
        and report["lost_writes"] == 0
        and report["duplicated_writes"] == 0
        and report["stolen_token_not_400"] == 0
        and report["stolen_token_misfiled"] == 0
        and report["items_stored"] == report["items_expected"]
        and report["acknowledged"] == report["double_clicks"]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--writes", type=int, default=25, help="adds per writer")
    parser.add_argument("--database-url", help="PostgreSQL server to use")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    report = run(args.writers, args.writes, args.database_url)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>22}: {value}")
    return 0 if clean(report) else 1


if __name__ == "__main__":
    sys.exit(main())
