import io
import json
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.models import Status
from routines import safety
from tests.factories import make_exercise

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercises(patterns):
    bridge = make_exercise(
        name="Bridge", slug="bridge", weight_bearing=False, strengthening=True
    )
    bird_dog = make_exercise(
        name="Bird-dog", slug="bird-dog", weight_bearing=False, strengthening=True
    )
    return {
        "sit-up": make_exercise(
            slug="sit-up",
            weight_bearing=False,
            strengthening=True,
            patterns=["SPINAL_FLEXION"],
            alternatives=[bridge, bird_dog],
        ),
        "brisk-walking": make_exercise(slug="brisk-walking"),
        "biceps-curl-light": make_exercise(
            slug="biceps-curl-light", weight_bearing=False, strengthening=True
        ),
        "bridge": bridge,
    }


def run(document, tmp_path, capsys):
    path = tmp_path / "routine.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    call_command("check_routine", str(path))
    return json.loads(capsys.readouterr().out)


def test_prints_the_findings_as_the_docs_specify(exercises, tmp_path, capsys):
    result = run(
        {
            "profile": {
                "diagnosis": "osteoporosis",
                "fractures": [],
                "falls_last_year": False,
                "neuropathy": False,
            },
            "items": [
                {
                    "day": "wed",
                    "exercise": "brisk-walking",
                    "sets": None,
                    "reps": None,
                    "minutes": 30,
                    "load_kg": None,
                },
                {
                    "day": "mon",
                    "exercise": "sit-up",
                    "sets": 2,
                    "reps": 10,
                    "minutes": None,
                    "load_kg": None,
                },
            ],
        },
        tmp_path,
        capsys,
    )
    assert result["rules_version"] == 2
    assert result["risk_level"] == "osteoporosis"
    first = result["findings"][0]
    assert first == {
        "code": "SPINAL_FLEXION",
        "severity": "danger",
        "day": "mon",
        "exercise": "sit-up",
        "message": safety.DEFAULT_RULES["SPINAL_FLEXION"].message,
        "alternatives": ["bird-dog", "bridge"],
    }
    week = result["findings"][1:]
    assert [(f["code"], f["day"], f["exercise"]) for f in week] == [
        ("STRENGTH_TOO_INFREQUENT", None, None),
        ("NO_BALANCE_TRAINING", None, None),
    ]
    assert result["counts"] == {"danger": 1, "caution": 0, "info": 2}


def test_reads_standard_input_and_applies_load(exercises, capsys, monkeypatch):
    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO(
            json.dumps(
                {
                    "profile": {"diagnosis": "osteopenia", "fractures": ["spine"]},
                    "items": [
                        {
                            "day": "tue",
                            "exercise": "biceps-curl-light",
                            "sets": 2,
                            "reps": 10,
                            "load_kg": 5.0,
                        }
                    ],
                }
            )
        ),
    )
    call_command("check_routine", "-")
    result = json.loads(capsys.readouterr().out)
    assert result["risk_level"] == "high_risk"
    assert (result["findings"][0]["code"], result["findings"][0]["severity"]) == (
        "HEAVY_LOAD",
        "danger",
    )


def test_web_and_command_agree(exercises, tmp_path, capsys, patient):
    """The same routine checked through the command and through the page's loader."""
    from routines import checking
    from routines.models import HealthProfile
    from tests.factories import make_item, make_routine

    routine = make_routine(owner=patient)
    make_item(routine, exercises["sit-up"], day=0, reps=10)
    make_item(routine, exercises["biceps-curl-light"], day=1, reps=10, load_kg=12)
    web = checking.check_items(
        HealthProfile.objects.get(user=patient),
        list(routine.items.for_week()),
        with_therapist=False,
    ).findings
    command = run(
        {
            "profile": {"diagnosis": "osteoporosis"},
            "items": [
                {"day": "mon", "exercise": "sit-up", "reps": 10},
                {
                    "day": "tue",
                    "exercise": "biceps-curl-light",
                    "reps": 10,
                    "load_kg": 12,
                },
            ],
        },
        tmp_path,
        capsys,
    )
    assert [f.as_json() for f in web] == command["findings"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be an object"),
        ({"items": []}, '"profile" must be an object'),
        ({"profile": {"diagnosis": "broken"}, "items": []}, "diagnosis must be one of"),
        (
            {"profile": {"diagnosis": "osteopenia", "fractures": "spine"}, "items": []},
            "fractures must be a list with one entry per fracture",
        ),
        (
            {"profile": {"diagnosis": "osteopenia", "fractures": ["toe"]}, "items": []},
            'unknown fracture site "toe" .*known sites: spine, hip, wrist, other',
        ),
        (
            {"profile": {"diagnosis": "osteopenia", "neuropathy": "yes"}, "items": []},
            "neuropathy must be true or false",
        ),
        (
            {"profile": {"diagnosis": "osteopenia"}, "items": {}},
            '"items" must be a list',
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [{"day": "funday", "exercise": "sit-up", "reps": 1}],
            },
            "unknown day 'funday'",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [{"day": "mon", "exercise": "sit-upp", "reps": 1}],
            },
            "did you mean sit-up",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [{"day": "mon", "exercise": "sit-up", "reps": 101}],
            },
            "reps must be between 1 and 100",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [{"day": "mon", "exercise": "sit-up", "sets": 11, "reps": 1}],
            },
            "sets must be between 1 and 10",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [{"day": "mon", "exercise": "sit-up", "minutes": 0}],
            },
            "minutes must be between 1 and 240",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [{"day": "mon", "exercise": "sit-up"}],
            },
            "give reps or minutes",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [
                    {"day": "mon", "exercise": "sit-up", "reps": 1, "load_kg": 200.5}
                ],
            },
            "load_kg must be between",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [
                    {"day": "mon", "exercise": "sit-up", "reps": 1, "load_kg": 2.25}
                ],
            },
            "one decimal",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [{"day": "mon", "exercise": "sit-up", "reps": 2.5}],
            },
            "whole number",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [{"day": "mon", "exercise": "sit-up", "reps": True}],
            },
            "whole number",
        ),
        (
            {
                "profile": {"diagnosis": "osteopenia"},
                "items": [
                    {"day": "mon", "exercise": "sit-up", "reps": 1, "colour": "red"}
                ],
            },
            "unknown field",
        ),
    ],
)
def test_bad_input_exits_2_with_a_message(exercises, tmp_path, document, message):
    path = tmp_path / "bad.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    with pytest.raises(CommandError, match=message) as error:
        call_command("check_routine", str(path))
    assert error.value.returncode == 2


def test_missing_file_and_draft_exercise(exercises, tmp_path):
    with pytest.raises(CommandError, match="no such file") as error:
        call_command("check_routine", str(tmp_path / "nope.json"))
    assert error.value.returncode == 2
    make_exercise(slug="secret", status=Status.DRAFT)
    path = tmp_path / "draft.json"
    path.write_text(
        json.dumps(
            {
                "profile": {"diagnosis": "unsure"},
                "items": [{"day": "mon", "exercise": "secret", "reps": 1}],
            }
        )
    )
    with pytest.raises(CommandError, match="draft"):
        call_command("check_routine", str(path))


def test_real_process_exit_status_and_one_line_on_stderr(tmp_path):
    """Through manage.py, as another program would call it (uses the configured database)."""
    path = tmp_path / "bad.json"
    path.write_text("{oops")
    result = subprocess.run(
        [sys.executable, "manage.py", "check_routine", str(path)],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not valid JSON" in result.stderr


def test_fractures_list_one_entry_per_fracture(exercises, tmp_path, capsys):
    def level(fractures):
        return run(
            {
                "profile": {"diagnosis": "osteopenia", "fractures": fractures},
                "items": [{"day": "mon", "exercise": "brisk-walking", "minutes": 20}],
            },
            tmp_path,
            capsys,
        )["risk_level"]

    assert level([]) == "low_bone_mass"
    assert level(["wrist"]) == "osteoporosis"
    assert level(["wrist", "wrist"]) == "high_risk"
    assert level(["wrist", "other"]) == "high_risk"


def test_alternatives_in_the_seam_are_safe_for_the_patient(exercises, tmp_path, capsys):
    twist = make_exercise(slug="twist", patterns=["SPINAL_TWIST"])
    exercises["sit-up"].alternatives.add(twist)
    result = run(
        {
            "profile": {"diagnosis": "osteoporosis", "fractures": ["spine"]},
            "items": [{"day": "mon", "exercise": "sit-up", "reps": 10}],
        },
        tmp_path,
        capsys,
    )
    assert result["findings"][0]["alternatives"] == ["bird-dog", "bridge"]
    exercises["sit-up"].alternatives.set([twist])
    result = run(
        {
            "profile": {"diagnosis": "osteoporosis", "fractures": ["spine"]},
            "items": [{"day": "mon", "exercise": "sit-up", "reps": 10}],
        },
        tmp_path,
        capsys,
    )
    first = result["findings"][0]
    assert first["alternatives"] == []
    assert first["message"].endswith("Ask your therapist for a safer choice.")


def _run_process(args, stdin=None):
    return subprocess.run(
        [sys.executable, "manage.py", "check_routine", *args],
        input=stdin,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[" * 100_000,
            b"nested too deeply",
        ),  # the parser itself would recurse too far
        (
            '{"profile": {"diagnosis": ' + "[" * 50 + "]" * 50 + "}}",
            b"nested too deeply",
        ),
        ('{"items": []' + " " * 1_000_001 + "}", b"over 1 MB"),
    ],
    ids=["100000-brackets", "50-levels", "over-1-MB"],
)
def test_deep_or_huge_input_exits_2_with_one_line(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    for result in (_run_process([str(path)]), _run_process(["-"], text.encode())):
        assert result.returncode == 2
        assert result.stdout == b""
        assert len(result.stderr.strip().splitlines()) == 1
        assert message in result.stderr
        assert len(result.stderr) < 200
