"""`{% link 'routines:item_edit' routine.pk item.pk %}`: `{% url %}` for links repeated per item.

See bonefit.links.reverse_fast: the same URL as `{% url %}`, reversed once per page shape.
"""

from django import template

from bonefit.links import reverse_fast

register = template.Library()


@register.simple_tag
def link(viewname, *args):
    return reverse_fast(viewname, *args)
