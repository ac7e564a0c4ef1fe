"""Two hosts: two gunicorn servers sharing one PostgreSQL and one Redis, all started here.

What a person would notice if the hosts did not really share their state: being signed out
when the proxy sends them to the other host, a change that one host shows and the other does
not, a lock-out that can be dodged by trying the other host, and a saved change that is gone
after a host dies. Nothing here waits for a time: every check counts requests or rows.
"""

import os
import secrets
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis
from bs4 import BeautifulSoup
from django_otp.oath import totp

from tests.servers import free_port, postgres_server, redis_server, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PASSWORD = "two-hosts-password-42"
TOTP_KEY = (
    "74657373732d6b65792d666f722d74776f2d686f737473"  # the therapist's authenticator
)
FAILURE_LIMIT = 5
SETUP = f"""
from django.contrib.auth.models import Group, User
from catalogue.roles import THERAPISTS
from routines.models import HealthProfile
patient = User.objects.create_user("hana", password="{PASSWORD}")
HealthProfile.objects.create(user=patient, diagnosis="osteoporosis")
User.objects.create_user("ivan", password="{PASSWORD}")
therapist = User.objects.create_user("tess", password="{PASSWORD}", is_staff=True)
therapist.groups.add(Group.objects.get(name=THERAPISTS))
from routines import two_factor
two_factor.enrol(therapist, key="{TOTP_KEY}")
"""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Keeps cookies like a browser (per host name, not per port) and fills rendered forms."""

    def __init__(self):
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def open(self, url, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data else None
        try:
            # The timeout guards against a hang; it measures nothing.
            with self.opener.open(url, body, timeout=120) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def get(self, url):
        return self.open(url)

    def submit(self, url, selector, **values):
        """GET `url`, fill the form `selector` as rendered, with `values`, and send it."""
        status, _, html = self.get(url)
        assert status == 200, (url, status)
        form = BeautifulSoup(html, "html.parser").select_one(selector)
        assert form is not None, f"no {selector} on {url}"
        data = {}
        for field in form.select("input, textarea, select"):
            name = field.get("name")
            kind = field.get("type", "text")
            if not name or kind in {"submit", "button", "file", "image", "reset"}:
                continue
            if field.name == "textarea":
                data[name] = field.text
            elif field.name == "select":
                chosen = field.select("option[selected]") or field.select("option")[:1]
                data[name] = [o.get("value", o.text) for o in chosen]
            elif kind in {"checkbox", "radio"}:
                if field.has_attr("checked"):
                    data.setdefault(name, []).append(field.get("value", "on"))
            else:
                data[name] = field.get("value", "")
        data |= values
        action = urllib.parse.urljoin(url, form.get("action") or url)
        return self.open(action, data)

    def log_in(self, host, username, password):
        return self.submit(
            f"{host}/accounts/login/",
            "form[method=post]:has(input[name=password])",
            username=username,
            password=password,
        )


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Host:
    """One gunicorn server (2 workers) in its own process group, so it can be killed whole."""

    def __init__(self, env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "bonefit.wsgi:application",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, self.process, "gunicorn")

    def kill(self):
        """SIGKILL the master and its workers at once: no graceful shutdown, as in a crash."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


@pytest.fixture(scope="module")
def hosts():
    if not Path(GUNICORN).exists():
        pytest.fail(f"{GUNICORN} missing: pip install -e '.[dev]'")
    with postgres_server() as database_url, redis_server() as redis_url:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "PYTEST"))
        } | {
            # The production settings with the tests' fast password hasher and plain static
            # files (tests/settings.py): logins are most of the work here otherwise.
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DJANGO_DEBUG": "false",
            # The same key on every host: sessions and CSRF tokens made by one host are
            # checked by the other.
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE": "false",  # plain http on loopback
            "DJANGO_LOGIN_FAILURE_LIMIT": str(FAILURE_LIMIT),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PYTHONPATH": str(ROOT),
        }
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_catalogue", "-v0")
        manage(env, "shell", "-c", SETUP)
        a, b = Host(env), Host(env)
        try:
            yield a, b, env
        finally:
            a.stop()
            b.stop()


def test_a_session_made_on_one_host_works_on_the_other(hosts):
    a, b, env = hosts
    browser = Browser()
    status, headers, _ = browser.log_in(a.url, "hana", PASSWORD)
    assert status == 302, "signing in on host A failed"
    status, _, page = browser.get(f"{b.url}/routines/")
    assert status == 200  # not sent back to the login page
    assert (
        'action="/accounts/logout/"' in page
    )  # signed in: the page offers to sign out
    # The session is in the shared Redis (and written through to PostgreSQL).
    shared = redis.Redis.from_url(env["REDIS_URL"])
    assert shared.keys("bonefit:*django.contrib.sessions.cached_db*")
    # And signing out on B signs out everywhere.
    status, _, _ = browser.submit(f"{b.url}/routines/", "form[action$='/logout/']")
    assert status == 302
    status, headers, _ = browser.get(f"{a.url}/routines/")
    assert status == 302
    assert "/accounts/login/" in headers["Location"]


def test_an_edit_through_one_host_shows_at_once_through_the_other(hosts):
    a, b, _ = hosts
    therapist, visitor = Browser(), Browser()
    # Both hosts have the catalogue list in the shared cache before the edit.
    for host in (a, b):
        status, _, page = visitor.get(f"{host.url}/catalogue/?q=chin")
        assert status == 200
        assert "Chin tucks" in page
    assert therapist.log_in(a.url, "tess", PASSWORD)[0] == 302
    status, _, _ = therapist.submit(  # staff: the second step, a code from their app
        f"{a.url}/accounts/two-factor/",
        "form[method=post]:has(input[name=code])",
        code=f"{totp(bytes.fromhex(TOTP_KEY)):06d}",
    )
    assert status == 302
    status, _, page = therapist.get(f"{a.url}/admin/catalogue/exercise/?q=chin+tucks")
    change_url = (
        a.url + BeautifulSoup(page, "html.parser").select_one("th.field-name a")["href"]
    )
    status, headers, _ = therapist.submit(
        change_url, "form#exercise_form", name="Chin tucks, seated"
    )
    assert status == 302, "the admin did not save the change"
    status, _, page = visitor.get(f"{b.url}/catalogue/?q=chin")
    assert "Chin tucks, seated" in page

    # A patient's own change: a routine made through A is listed at once by B.
    patient = Browser()
    assert patient.log_in(a.url, "hana", PASSWORD)[0] == 302
    status, headers, _ = patient.submit(
        f"{a.url}/routines/new/", "main form[method=post]", name="Made on host A"
    )
    assert status == 302
    assert "Made on host A" in patient.get(f"{b.url}/routines/")[2]


def test_failed_logins_count_across_both_hosts(hosts):
    a, b, _ = hosts
    browser = Browser()
    # Spread over the hosts: neither host alone sees as many failures as the limit.
    spread = [a, b] * FAILURE_LIMIT
    for host in spread[: FAILURE_LIMIT - 1]:
        status, _, page = browser.log_in(host.url, "ivan", "wrong-password")
        assert status == 200
        assert "Please enter a correct username and password" in page
    status, _, page = browser.log_in(spread[FAILURE_LIMIT - 1].url, "ivan", "wrong")
    # The next attempt, even with the right password and on the other host, is refused.
    status, _, page = browser.log_in(b.url, "ivan", PASSWORD)
    assert status == 429
    assert "Too many tries" in page
    status, _, page = browser.log_in(a.url, "ivan", PASSWORD)
    assert status == 429


def test_killing_a_host_mid_write_loses_no_acknowledged_write(hosts):
    a, b, env = hosts
    writers = 4
    kill_after = 24  # acknowledged writes before host A dies; the writers keep going
    acknowledged, lock = {}, threading.Lock()  # {routine URL: name}
    enough = threading.Event()

    def write(n):
        browser = Browser()
        try:
            if browser.log_in(a.url, "hana", PASSWORD)[0] != 302:
                return
        except OSError:
            return
        for i in range(10_000):
            name = f"Crash test {n}-{i}"
            try:
                status, headers, _ = browser.submit(
                    f"{a.url}/routines/new/", "main form[method=post]", name=name
                )
            except (OSError, AssertionError):
                return  # the host is gone: nothing more is acknowledged
            if status == 302:
                with lock:
                    acknowledged[headers["Location"]] = name
                    if len(acknowledged) >= kill_after:
                        enough.set()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    enough.wait(timeout=600)
    a.kill()
    for thread in threads:
        thread.join(60)
    assert len(acknowledged) >= kill_after
    # Every write host A acknowledged is there, read through host B.
    browser = Browser()
    assert browser.log_in(b.url, "hana", PASSWORD)[0] == 302
    missing = []
    for location, name in acknowledged.items():
        status, _, page = browser.get(urllib.parse.urljoin(b.url, location))
        if status != 200 or name not in page:
            missing.append(name)
    assert not missing, f"{len(missing)} acknowledged writes lost: {missing[:5]}"
    # B still takes writes after A died.
    status, _, _ = browser.submit(
        f"{b.url}/routines/new/", "main form[method=post]", name="After the crash"
    )
    assert status == 302
