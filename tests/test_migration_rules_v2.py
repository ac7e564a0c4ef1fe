"""The data migration brings a version-1 database to version 2 without undoing therapists' work."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("catalogue", "0003_pattern_updated_at"),
    ("routines", "0003_routine_content_version"),
]
AFTER = [("catalogue", "0004_rules_v2"), ("routines", "0004_profile_fracture_count")]
FALL_RISK_V1 = (
    "This balance exercise has nothing to hold on to. Stand beside a kitchen counter "
    "or a sturdy chair so you can steady yourself."
)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def version_1_database(apps, *, fall_risk_message=FALL_RISK_V1):
    Pattern = apps.get_model("catalogue", "MovementPattern")
    Exercise = apps.get_model("catalogue", "Exercise")
    fall = Pattern.objects.create(
        code="FALL_RISK",
        message=fall_risk_message,
        low_bone_mass="info",
        osteoporosis="info",
        high_risk="info",
    )
    # A therapist made twisting stricter than the default.
    Pattern.objects.create(
        code="SPINAL_TWIST",
        message="Twist gently.",
        low_bone_mass="danger",
        osteoporosis="danger",
        high_risk="danger",
    )
    fields = {
        "status": "published",
        "category": "weight_bearing",
        "position": "standing",
    }
    Exercise.objects.create(name="Heel drops", slug="heel-drops", **fields)
    Exercise.objects.create(name="Jumping", slug="jumping", **fields)
    return fall


@pytest.fixture
def at_version_1(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate_to_latest()  # leave the database as the other tests expect it


def test_migration_adds_the_pattern_tags_heel_drops_and_updates_the_unedited_message(
    at_version_1,
):
    version_1_database(at_version_1)
    User = at_version_1.get_model("auth", "User")
    Profile = at_version_1.get_model("routines", "HealthProfile")
    user = User.objects.create(username="ann")
    Profile.objects.create(user=user, fracture_wrist=True, fracture_other=True)

    apps = migrate(AFTER)
    Pattern = apps.get_model("catalogue", "MovementPattern")
    Exercise = apps.get_model("catalogue", "Exercise")
    moderate = Pattern.objects.get(code="MODERATE_IMPACT")
    assert (moderate.low_bone_mass, moderate.osteoporosis, moderate.high_risk) == (
        "none",
        "none",
        "caution",
    )
    heel_drops = Exercise.objects.get(slug="heel-drops")
    assert [p.code for p in heel_drops.patterns.all()] == ["MODERATE_IMPACT"]
    assert list(Exercise.objects.get(slug="jumping").patterns.all()) == []
    assert Pattern.objects.get(code="FALL_RISK").message.startswith(
        "You could lose your balance and fall."
    )
    twist = Pattern.objects.get(code="SPINAL_TWIST")
    assert (twist.message, twist.low_bone_mass, twist.osteoporosis) == (
        "Twist gently.",
        "danger",
        "danger",
    )
    # Two places ticked before the question existed: two fractures.
    assert (
        apps.get_model("routines", "HealthProfile").objects.get().fragility_fractures
        == 2
    )


def test_migration_keeps_a_fall_risk_message_a_therapist_edited(at_version_1):
    version_1_database(at_version_1, fall_risk_message="Hold the counter, please.")
    apps = migrate(AFTER)
    Pattern = apps.get_model("catalogue", "MovementPattern")
    assert Pattern.objects.get(code="FALL_RISK").message == "Hold the counter, please."


def test_migration_leaves_a_new_database_to_load_catalogue(at_version_1):
    apps = migrate(AFTER)
    assert not apps.get_model("catalogue", "MovementPattern").objects.exists()
