from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image

NOT_A_PICTURE = (
    "This file is not a picture we can use. Please upload a JPEG, PNG or WebP image."
)
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}  # what the message promises


def validate_picture(picture):
    """A real image (checked with Pillow, not by its name), under the size and pixel limits."""
    if picture.size > settings.PICTURE_MAX_BYTES:
        raise ValidationError(
            "This picture is too large (%(size)s). Please use one under %(limit)s.",
            code="picture_too_large",
            params={
                "size": filesizeformat(picture.size),
                "limit": filesizeformat(settings.PICTURE_MAX_BYTES),
            },
        )
    try:
        picture.open("rb")
        picture.seek(0)
        with Image.open(picture) as image:
            width, height = (
                image.size
            )  # read from the header: a huge image is never decoded
            image_format = image.format
            if width * height <= settings.PICTURE_MAX_PIXELS:
                image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(NOT_A_PICTURE, code="not_a_picture") from None
    finally:
        picture.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(NOT_A_PICTURE, code="not_a_picture")
    if width * height > settings.PICTURE_MAX_PIXELS:
        raise ValidationError(
            "This picture has too many pixels (%(width)s × %(height)s). "
            "Please make it smaller, for example 1600 pixels wide.",
            code="picture_too_many_pixels",
            params={"width": width, "height": height},
        )
