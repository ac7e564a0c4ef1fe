"""docs/ and the README stay true: the rules doc names exactly the codes of the engine, and its
worked example prints what the doc shows."""

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from routines import safety

ROOT = Path(__file__).resolve().parent.parent
RULES_DOC = ROOT / "docs" / "safety-rules.md"
CODE = re.compile(r"\b[A-Z]+(?:_[A-Z]+)+\b")


def test_rules_doc_names_every_code_of_the_engine_and_no_other():
    named = set(CODE.findall(RULES_DOC.read_text(encoding="utf-8")))
    assert named == set(safety.PATTERN_CODES) | set(safety.WEEK_CODES)


def test_rules_doc_gives_each_patterns_default_severities():
    text = RULES_DOC.read_text(encoding="utf-8")
    for code, rule in safety.DEFAULT_RULES.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{code}`"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[-3:] == [rule.severities[level] for level in safety.RISK_LEVELS]


def _example(name):
    text = RULES_DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- example-{name} -->\n```json\n(.*?)```", text, re.S)
    return match.group(1)


@pytest.mark.django_db
def test_rules_doc_worked_example_prints_what_the_doc_shows(tmp_path, capsys):
    call_command("load_catalogue")
    capsys.readouterr()
    path = tmp_path / "example.json"
    path.write_text(_example("input"))
    call_command("check_routine", str(path))
    printed = capsys.readouterr().out
    assert json.loads(printed) == json.loads(_example("output"))
    assert printed.strip() == _example("output").strip()


@pytest.mark.parametrize(
    "name", ["README.md", "docs/safety-rules.md", "docs/catalogue.md", "docs/deploy.md"]
)
def test_docs_stand_alone(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "../shared" not in text
    assert "/work/" not in text
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        if not link.startswith("http"):
            assert (ROOT / name).parent.joinpath(link).exists(), link


def test_readme_links_both_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/safety-rules.md)" in readme
    assert "(docs/catalogue.md)" in readme


def test_readme_links_the_deployment_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/deploy.md)" in readme


SETTING = re.compile(r"\b(?:DJANGO_[A-Z_]+[A-Z]|DATABASE_URL|REDIS_URL)\b")


@pytest.mark.parametrize("name", ["README.md", "docs/deploy.md"])
def test_every_setting_the_docs_name_is_read_by_the_settings(name):
    """An operator who sets a variable the docs name must not find that nothing reads it."""
    settings_source = (ROOT / "bonefit" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'"((?:DJANGO_|DATABASE_|REDIS_)[A-Z_]+)"', settings_source))
    read.add("DATABASE_URL")  # dj_database_url.config() reads it
    named = set(SETTING.findall((ROOT / name).read_text(encoding="utf-8")))
    assert named, "the doc names no setting at all"
    assert named <= read, sorted(named - read)
