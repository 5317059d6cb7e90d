"""Image bytes as a model sees them: decoded to RGB with the EXIF orientation applied."""

from __future__ import annotations

import io


def oriented(img):
    """`img` as it is meant to be seen: its EXIF orientation applied, as the `datasets` Image
    feature applies it when it decodes the hub's images (so a local copy gives the same pixels)."""
    from PIL import ExifTags, ImageOps

    if img.getexif().get(ExifTags.Base.Orientation) is None:
        return img
    return ImageOps.exif_transpose(img)


def decode_rgb(data: bytes):
    """The image in `data` as an RGB PIL image, EXIF orientation applied (every image source)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return oriented(img).convert("RGB")


def is_image(data: bytes) -> bool:
    """Whether PIL can open `data` as an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False
    return True
