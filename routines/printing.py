"""What the printed sheet adds to the week: the safe way to the floor, and which steps to print.

A danger exercise is not taught on paper until it is settled: its steps are printed only when
every item of it in the week is confirmed by the patient or approved by their therapist
(never while one waits for the therapist, nor when the therapist advised against it). A
therapist's approval, with its conditions, is printed beside the steps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from catalogue.models import FLOOR_TRANSFER_SLUG
from routines import presenting, safety


@dataclass
class Confirmation:
    day: str  # "Monday"
    at: datetime


@dataclass
class Approval:
    """A therapist's approval of one day's item, with their conditions: printed beside the
    steps, which it may narrow ("only to your knees")."""

    day: str
    by: str
    at: datetime
    note: str


@dataclass
class PrintedSheet:
    """One exercise of the sheet (presenting.ExerciseSheet), and what paper may show of it."""

    sheet: object
    is_danger: bool = False
    unconfirmed_days: list[str] = field(default_factory=list)  # the patient may confirm
    waiting_days: list[str] = field(
        default_factory=list
    )  # for the therapist's decision
    advised_days: list[str] = field(
        default_factory=list
    )  # the therapist advised against
    confirmations: list[Confirmation] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    # approved by the therapist, or confirmed by the patient: may be done there
    cleared_days: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        """A danger not to be done on some day: not confirmed, waiting, advised against."""
        return bool(self.unconfirmed_days or self.waiting_days or self.advised_days)

    @property
    def show_steps(self) -> bool:
        """The steps are printed unless the exercise is a danger held on every day it is
        planned: cleared on one day (and held on another), the sheet prints them with the
        days it is not to be done."""
        return not self.is_danger or not self.held or bool(self.cleared_days)


def sheet_context(days, sheets, tables) -> dict:
    """`sheets` wrapped for printing, and the floor-transfer exercise (from the catalogue's
    `tables`, checking.CatalogueTables) when the week has a floor exercise and does not hold
    it already. At most one query."""
    # Each exercise's items, with their days, in week order.
    shown_by_exercise = defaultdict(list)
    for day in days:
        for shown in day.items:
            shown_by_exercise[shown.item.exercise_id].append((day.day.label, shown))
    printed = []
    for sheet in sheets:
        entry = PrintedSheet(
            sheet, is_danger=any(f.severity == safety.DANGER for f in sheet.findings)
        )
        for label, shown in shown_by_exercise[sheet.exercise.pk]:
            state = shown.state
            if state == presenting.APPROVED:
                entry.approvals.append(
                    Approval(
                        label,
                        shown.reviewer_name,
                        shown.item.reviewed_at,
                        shown.item.review_note,
                    )
                )
            if state in (presenting.APPROVED, presenting.CONFIRMED):
                entry.cleared_days.append(label)
            if state == presenting.WAITING:
                entry.waiting_days.append(label)
            elif state == presenting.TO_CONFIRM:
                entry.unconfirmed_days.append(label)
            elif state == presenting.ADVISED_AGAINST:
                entry.advised_days.append(label)
            elif (
                state in (presenting.APPROVED, presenting.CONFIRMED)
                and shown.item.danger_acknowledged_at
            ):
                entry.confirmations.append(
                    Confirmation(label, shown.item.danger_acknowledged_at)
                )
        printed.append(entry)
    floor_transfer = None
    in_week = {sheet.exercise.slug for sheet in sheets}
    if FLOOR_TRANSFER_SLUG not in in_week and any(
        sheet.exercise.starts_on_floor for sheet in sheets
    ):
        floor_transfer = tables.visible_exercise(FLOOR_TRANSFER_SLUG)
    return {"sheets": printed, "floor_transfer": floor_transfer}
