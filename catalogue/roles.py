from django.contrib.auth.models import Group, Permission

THERAPISTS = "Therapists"
THERAPIST_PERMISSIONS = [
    "add_exercise",
    "change_exercise",
    # Only an unused draft can be deleted (ExerciseAdmin.has_delete_permission); any
    # other exercise is retired, so routines and logs that name it stay readable.
    "delete_exercise",
    "view_exercise",
    "add_exercisestep",
    "change_exercisestep",
    "delete_exercisestep",
    "view_exercisestep",
    "add_movementpattern",
    "change_movementpattern",
    "view_movementpattern",
]


def ensure_therapists_group(**kwargs):
    """Create or repair the Therapists group; runs after every migrate, idempotent."""
    group, _ = Group.objects.get_or_create(name=THERAPISTS)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalogue", codename__in=THERAPIST_PERMISSIONS
        )
    )
    return group
