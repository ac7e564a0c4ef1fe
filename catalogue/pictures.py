"""Exercise pictures: re-encoded on upload, stored under random names.

Re-encoding with Pillow keeps only the pixels: anything appended to the file (a script, an
archive), EXIF (camera, place, time) and other metadata are gone. The random name means an
uploaded name such as `x.php.png` never reaches the disk or a URL.
"""

import io
import secrets

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import models, transaction
from PIL import Image, ImageOps

from catalogue.validators import validate_picture

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def picture_path(instance, filename: str) -> str:
    """exercises/<random>.<ext>: the extension comes from the re-encoded format."""
    extension = filename.rsplit(".", 1)[-1].lower()
    if extension not in EXTENSIONS.values():
        extension = "bin"
    return f"exercises/{secrets.token_urlsafe(16)}.{extension}"


def reencode(upload) -> SimpleUploadedFile:
    """A fresh file holding only the pixels of `upload` (which validate_picture passed)."""
    upload.seek(0)
    with Image.open(upload) as original:
        image_format = original.format
        image = ImageOps.exif_transpose(
            original
        )  # turn it upright, as the camera meant
    if image_format == "JPEG":
        image = image.convert("L" if image.mode in ("L", "1") else "RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    image.info = {}
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, "JPEG", quality=88, optimize=True)
    elif image_format == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=88)
    extension = EXTENSIONS[image_format]
    return SimpleUploadedFile(
        f"picture.{extension}",
        out.getvalue(),
        content_type=Image.MIME[image_format],
    )


class PictureFormField(forms.ImageField):
    def clean(self, data, initial=None):
        picture = super().clean(data, initial)
        if isinstance(picture, UploadedFile):
            validate_picture(picture)  # size and pixels first: never decode a bomb
            picture = reencode(picture)
        return picture


class PictureField(models.ImageField):
    """An ImageField whose forms re-encode every upload (see the module docstring)."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PictureFormField, **kwargs})


def delete_after_commit(field_file_storage, name: str) -> None:
    """Delete a replaced picture once the new one is saved, so it is no longer served."""
    if name:
        transaction.on_commit(lambda: field_file_storage.delete(name))
