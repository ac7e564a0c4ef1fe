"""The printed sheet: no exercise's block is split across two pages (pdftotext, page by page)."""

import pytest

from catalogue.models import Exercise
from routines.models import HealthProfile, Routine, RoutineItem
from tests.browser.conftest import log_in
from tests.browser.test_pages import PASSWORD, TYPICAL_WEEK, pdf_pages
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def words(text):
    # pdftotext joins a word hyphenated at a line end ("free-" "standing"): compare
    # without hyphens on both sides
    return " ".join(text.split()).replace("-", "")


def build_week(items):
    user = make_user("dorothy", password=PASSWORD, first_name="Dorothy")
    HealthProfile.objects.create(
        user=user, diagnosis="osteoporosis", fracture_wrist=True
    )
    routine = Routine.objects.create(owner=user, name="My week")
    exercises = Exercise.objects.in_bulk(field_name="slug")
    positions = {}
    RoutineItem.objects.bulk_create(
        RoutineItem(
            routine=routine,
            exercise=exercises[slug],
            day=day,
            position=positions.setdefault(day, [0]).append(0) or len(positions[day]),
            sets=sets,
            reps=reps,
            minutes=minutes,
            load_kg=load,
            acknowledged_codes="SPINAL_FLEXION,SPINAL_ROUNDING"
            if slug == "sit-up"
            else "",
            danger_acknowledged_at="2026-11-01T10:00Z" if slug == "sit-up" else None,
        )
        for day, slug, sets, reps, minutes, load in items
    )
    return routine


def sixty_items():
    """60 items over 7 days, of as many different published starter exercises as fit."""
    slugs = list(
        Exercise.objects.published().order_by("name").values_list("slug", flat=True)
    )
    return [
        (n % 7, slugs[n % len(slugs)], 2, 10, None, None)
        if Exercise.objects.get(slug=slugs[n % len(slugs)]).dosing != "time"
        else (n % 7, slugs[n % len(slugs)], None, None, 20, None)
        for n in range(60)
    ]


@pytest.mark.parametrize("size", [14, 60])
def test_no_exercise_block_spans_two_pages(
    page, live_server, starter_catalogue, artifacts, size
):
    routine = build_week(TYPICAL_WEEK if size == 14 else sixty_items())
    assert routine.items.count() == size
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/routines/{routine.pk}/print/")
    page.emulate_media(media="print")
    blocks = []
    for text in page.locator("article.exercise-sheet").all_inner_texts():
        heading, *rest = [words(line) for line in text.splitlines() if line.strip()]
        blocks.append([heading, *(line for line in rest if len(line) >= 12)])
    assert len(blocks) >= (10 if size == 14 else 40)
    pdf = artifacts / f"print-blocks-{size}.pdf"
    page.pdf(path=str(pdf), format="A4")
    pages = [words(text) for text in pdf_pages(pdf)]
    # Read the pages in order, as a person does: find each block's heading from the page
    # the previous block started on; its other lines must be on that same page, not the next.
    current = next(
        n for n, text in enumerate(pages) if "How to do each exercise" in text
    )
    split = []
    for heading, *rest in blocks:
        # the heading also appears in other blocks' "Safer instead": prefer the page where
        # the block's first line follows it
        candidates = [n for n in range(current, len(pages)) if heading in pages[n]]
        assert candidates, f"not printed: {heading!r}"
        current = next(
            (
                n
                for n in candidates
                if not rest or pages[n].find(rest[0][:40], pages[n].find(heading)) >= 0
            ),
            candidates[0],
        )
        here = pages[current]
        following = pages[current + 1] if current + 1 < len(pages) else ""
        split += [
            f"{heading[:30]}: {line[:40]}"
            for line in rest
            if line[:40] not in here and line[:40] in following
        ]
    assert split == [], f"{len(split)} of {len(blocks)} blocks span two pages: {split}"


def test_each_day_of_the_printed_week_stays_on_one_page_under_its_name(
    page, live_server, starter_catalogue, artifacts
):
    """A week too long for one page breaks between days, never inside one: a day's last
    exercises on the next page would stand there without the day's name."""
    routine = build_week(sixty_items())
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/routines/{routine.pk}/print/")
    page.emulate_media(media="print")
    days = [
        (words(row.locator("th").inner_text()), row.locator("li").all_inner_texts())
        for row in page.locator(".week-grid tr").all()
    ]
    assert len(days) == 7
    pdf = artifacts / "print-days-60.pdf"
    page.pdf(path=str(pdf), format="A4")
    pages = [words(text) for text in pdf_pages(pdf)]
    week_pages = pages[
        : next(n for n, text in enumerate(pages) if "How to do each exercise" in text)
    ]
    assert len(week_pages) >= 2  # the test needs a week that does not fit one page
    split = []
    for name, items in days:
        on = next(n for n, text in enumerate(week_pages) if name in text)
        split += [
            f"{name}: {words(item)[:40]}"
            for item in items
            if words(item)[:40] not in week_pages[on]
        ]
    assert split == [], split
