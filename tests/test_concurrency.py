"""Concurrent writers against gunicorn, on the database the suite runs on (SQLite or PostgreSQL).

Each writer logs in first, then makes a fixed number of double-clicked adds and tries one token
that another patient used. The test counts lost and duplicated writes, 5xx answers and wrong
answers; it never counts how many requests fit in some seconds.
"""

import json
import os
import subprocess
import sys


def test_concurrent_double_clicks_lose_nothing_duplicate_nothing_and_get_no_5xx():
    command = [sys.executable, "bench/concurrent_writes.py", "--json"]
    command += ["--writers", "8", "--writes", "6"]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        command += ["--database-url", os.environ["DATABASE_URL"]]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["double_clicks"] == 8 * 6
    assert report["server_errors"] == 0, report
    assert report["lost_writes"] == 0, report
    assert report["duplicated_writes"] == 0, report
    assert report["stolen_token_not_400"] == 0, report
    assert report["stolen_token_misfiled"] == 0, report
    assert report["items_stored"] == report["items_expected"] == 8 * 7, report
    assert report["statuses"] == {"302": 8 * 6 * 2, "400": 8}, report
