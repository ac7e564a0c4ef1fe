"""Indexes for the catalogue at thousands of exercises. Database-only: no model state changes.

1. Every database: an index on Exercise.updated_at, so catalogue_version() (run on every
   catalogue page, cached or not) reads MAX(updated_at) from the index instead of every row.

2. PostgreSQL with the pg_trgm extension: trigram GIN indexes for the searches.
   Both the catalogue search and the admin search use `icontains`, which Django sends to
   PostgreSQL as `UPPER(column::text) LIKE UPPER('%word%')`: a match anywhere in the text.
   A B-tree cannot serve a leading wildcard; full-text search (tsvector) would change what
   matches (whole stemmed words: "squ" would no longer find "squat"). A trigram GIN index on
   exactly that expression serves the same LIKE, so results are identical on SQLite and on
   PostgreSQL and only the plan changes. Words shorter than three letters still scan.
   pg_trgm ships with PostgreSQL and is a trusted extension (13+), so the database owner
   can create it. Where it is missing or cannot be created, the migration says so and goes
   on: search still works, by scanning.
   SQLite has no such index and scans (5,000 exercises stay within the targets).
"""

import sys

from django.db import migrations, models

TRIGRAM = [
    # (index name, table, column)
    ("catalogue_exercise_name_trgm", "catalogue_exercise", "name"),
    ("catalogue_exercise_slug_trgm", "catalogue_exercise", "slug"),
    ("catalogue_exercise_summary_trgm", "catalogue_exercise", "summary"),
    ("catalogue_exercisestep_text_trgm", "catalogue_exercisestep", "text"),
]


def pg_trgm_ready(schema_editor):
    """True once pg_trgm is installed in this database (installing it if we may)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone():
            return True
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if not cursor.fetchone():
            return False
    try:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SAVEPOINT catalogue_pg_trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("RELEASE SAVEPOINT catalogue_pg_trgm")
    except Exception:  # noqa: BLE001 - e.g. insufficient privilege: go on without the index
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("ROLLBACK TO SAVEPOINT catalogue_pg_trgm")
        return False
    return True


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    if not pg_trgm_ready(schema_editor):
        print(
            "\n  catalogue 0004: pg_trgm is not available, so search scans instead of "
            "using an index. As a superuser: CREATE EXTENSION pg_trgm; then "
            "migrate catalogue 0003 and migrate again.",
            file=sys.stderr,
        )
        return
    for name, table, column in TRIGRAM:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER(({column})::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0003_pattern_updated_at"),
    ]

    operations = [
        # In the model state (Exercise.Meta.indexes), so SQLite's table rebuilds keep
        # it; IF (NOT) EXISTS because a rebuild in another branch of the graph may not.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="exercise",
                    index=models.Index(
                        fields=["updated_at"], name="exercise_updated_at_idx"
                    ),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    "CREATE INDEX IF NOT EXISTS exercise_updated_at_idx "
                    "ON catalogue_exercise (updated_at)",
                    "DROP INDEX IF EXISTS exercise_updated_at_idx",
                    elidable=False,
                )
            ],
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
