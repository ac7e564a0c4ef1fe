from django.core.management.base import BaseCommand

from catalogue.starter import load_exercises, load_patterns
from routines.safety import DEFAULT_RULES


class Command(BaseCommand):
    help = "Load the movement patterns and the starter exercise catalogue (idempotent)."

    def handle(self, *args, **options):
        patterns = load_patterns(DEFAULT_RULES)
        exercises = load_exercises()
        self.stdout.write(
            f"Added {patterns} movement patterns and {exercises} exercises."
        )
