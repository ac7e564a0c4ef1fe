"""What the printed sheet adds to the week: the safe way to the floor, and which steps to print.

A danger exercise is not taught on paper until the patient has confirmed it: its steps are
printed only when every item of it in the week is confirmed, with who confirmed and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from catalogue.models import FLOOR_TRANSFER_SLUG, Exercise
from routines import safety


@dataclass
class Confirmation:
    day: str  # "Monday"
    at: datetime


@dataclass
class PrintedSheet:
    """One exercise of the sheet (presenting.ExerciseSheet), and what paper may show of it."""

    sheet: object
    is_danger: bool = False
    unconfirmed_days: list[str] = field(default_factory=list)
    confirmations: list[Confirmation] = field(default_factory=list)

    @property
    def show_steps(self) -> bool:
        return not self.is_danger or not self.unconfirmed_days


def sheet_context(days, sheets) -> dict:
    """`sheets` wrapped for printing, and the floor-transfer exercise when the week has a
    floor exercise and does not hold it already (its steps are fetched with the sheets'). At
    most one query."""
    printed = []
    for sheet in sheets:
        entry = PrintedSheet(
            sheet, is_danger=any(f.severity == safety.DANGER for f in sheet.findings)
        )
        for day in days:
            for shown in day.items:
                if shown.item.exercise_id != sheet.exercise.pk:
                    continue
                if shown.needs_acknowledgement:
                    entry.unconfirmed_days.append(day.day.label)
                elif shown.acknowledged_danger and shown.item.danger_acknowledged_at:
                    entry.confirmations.append(
                        Confirmation(day.day.label, shown.item.danger_acknowledged_at)
                    )
        printed.append(entry)
    floor_transfer = None
    in_week = {sheet.exercise.slug for sheet in sheets}
    if FLOOR_TRANSFER_SLUG not in in_week and any(
        sheet.exercise.starts_on_floor for sheet in sheets
    ):
        floor_transfer = (
            Exercise.objects.visible().filter(slug=FLOOR_TRANSFER_SLUG).first()
        )
    return {"sheets": printed, "floor_transfer": floor_transfer}
