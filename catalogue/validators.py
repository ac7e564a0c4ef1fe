from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat


def validate_picture(picture):
    """Size and pixel limits; ImageField has already checked that Pillow can open it."""
    if picture.size > settings.PICTURE_MAX_BYTES:
        raise ValidationError(
            "This picture is too large (%(size)s). Please use one under %(limit)s.",
            code="picture_too_large",
            params={
                "size": filesizeformat(picture.size),
                "limit": filesizeformat(settings.PICTURE_MAX_BYTES),
            },
        )
    width, height = _dimensions(picture)
    if width * height > settings.PICTURE_MAX_PIXELS:
        raise ValidationError(
            "This picture has too many pixels (%(width)s × %(height)s). "
            "Please make it smaller, for example 1600 pixels wide.",
            code="picture_too_many_pixels",
            params={"width": width, "height": height},
        )


def _dimensions(picture):
    image = getattr(picture, "image", None)  # set by ImageField's form field after it opened it
    if image is not None:
        return image.size
    return picture.width, picture.height
