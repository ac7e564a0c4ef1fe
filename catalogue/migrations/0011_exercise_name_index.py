from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0010_catalogue_revision"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="exercise",
            index=models.Index(fields=["name", "id"], name="exercise_name_idx"),
        ),
    ]
