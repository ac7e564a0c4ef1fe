"""SQLite under concurrent writes: 20 logged-in patients against gunicorn, nothing lost."""

import json
import subprocess
import sys


def test_twenty_concurrent_writers_lose_nothing_and_get_no_5xx():
    # `make bench` runs the same script for the full 20 s; CI runs it for 6 s.
    result = subprocess.run(
        [sys.executable, "bench/concurrent_writes.py", "--seconds", "6", "--json"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["writers"] == 20
    assert report["requests"] > 100
    assert report["server_errors"] == 0
    assert report["lost_writes"] == 0
    assert report["saved"] == report["stored"] == report["requests"]
