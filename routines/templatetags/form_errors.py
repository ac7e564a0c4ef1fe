from django import template

register = template.Library()


@register.filter
def field_errors(form):
    """[(the field's id, its error)] for each error of a field the person can see, in the
    order of the form: for includes/error_summary.html's links. The form's own errors and
    those of hidden fields are shown by the page beside the form."""
    return [
        (field.id_for_label, error)
        for field in form.visible_fields()
        for error in field.errors
    ]
