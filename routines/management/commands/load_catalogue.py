from django.core.management.base import BaseCommand

from catalogue.starter import load_exercises, load_patterns
from routines.safety import DEFAULT_RULES


class Command(BaseCommand):
    help = (
        "Load the movement patterns and the starter exercise catalogue: adds what is "
        "missing and updates starter exercises no therapist has edited. Safe to repeat."
    )

    def handle(self, *args, **options):
        patterns = load_patterns(DEFAULT_RULES)
        report = load_exercises()
        self.stdout.write(
            f"Added {patterns} movement patterns and {len(report.added)} exercises; "
            f"updated {len(report.updated)} starter exercises; "
            f"{len(report.up_to_date)} already up to date."
        )
        if report.updated:
            self.stdout.write(f"Updated: {', '.join(report.updated)}.")
        if report.kept_edited:
            self.stdout.write(
                f"Kept {len(report.kept_edited)} exercises as therapists edited them "
                f"(not updated): {', '.join(report.kept_edited)}."
            )
