"""{{ shown.findings|finding_box }}: an item's findings as one box (routines.presenting)."""

from django import template

from routines import presenting

register = template.Library()


@register.filter
def finding_box(findings):
    return presenting.finding_box(list(findings or ()))
