"""The report's images: thumbnails inline (data: URLs) or in a folder beside the page."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from smmile.io import write_atomic
from smmile.present.report.thumbnails import TooLarge, make_thumbnail
from smmile.types import ImageRef

THUMB_SIZE = 320
NO_IMAGE = "no image"
UNREADABLE = "image unreadable"
TOO_LARGE = "image too large to preview"


@dataclass(frozen=True)
class Picture:
    """An image as the page shows it: its thumbnail's src and the full size's href (None when the
    page holds the thumbnail alone), or, without a src, the words shown in its place."""

    alt: str
    src: str | None = None
    href: str | None = None
    placeholder: str = NO_IMAGE


class ImageStore:
    """Thumbnails inline or in `folder`, each image once by hash; in folder mode the original is
    written too and linked from its thumbnail."""

    def __init__(self, folder: Path | None, href_prefix: str = "", size: int = THUMB_SIZE):
        self.folder = folder
        self.href_prefix = href_prefix
        self.size = size
        self._done: dict[str, tuple[str, str | None] | None] = {}
        self.unshown: dict[str, str] = {}  # sha256 -> why no thumbnail is shown
        self.notes: list[str] = []  # a warning per image not shown for its size

    def _thumbnail(self, ref: ImageRef) -> tuple[bytes, bytes, str] | None:
        """(the image's bytes, its thumbnail, its format), or None when it cannot be shown."""
        from PIL import UnidentifiedImageError

        try:
            data = ref.read_bytes()
            return (data, *make_thumbnail(data, self.size))
        except TooLarge as exc:
            name = ref.path or f"sha256 {ref.sha256[:12]}"
            self.unshown[ref.sha256] = TOO_LARGE
            self.notes.append(
                f"warning: image {name} is too large to preview ({exc}); shown as a placeholder"
            )
        except (OSError, ValueError, UnidentifiedImageError):
            pass
        return None

    def _write(self, name: str, data: bytes) -> None:
        assert self.folder is not None
        path = self.folder / name
        if path.is_file():
            return
        write_atomic(path, data)

    def sources(self, ref: ImageRef) -> tuple[str, str | None] | None:
        """(thumbnail src, full-size href or None), or None when the image cannot be read."""
        if ref.sha256 not in self._done:
            made = self._thumbnail(ref)
            if made is None:
                self._done[ref.sha256] = None
            elif self.folder is None:
                self._done[ref.sha256] = (
                    "data:image/jpeg;base64," + base64.b64encode(made[1]).decode(),
                    None,
                )
            else:
                data, thumb, fmt = made
                stem = ref.sha256[:20]
                ext = {"jpeg": "jpg"}.get(fmt, fmt)
                self._write(f"{stem}_thumb.jpg", thumb)
                self._write(f"{stem}.{ext}", data)
                self._done[ref.sha256] = (
                    f"{self.href_prefix}{stem}_thumb.jpg",
                    f"{self.href_prefix}{stem}.{ext}",
                )
        return self._done[ref.sha256]

    def picture(self, ref: ImageRef | None, alt: str) -> Picture:
        """The image `ref` as the page shows it (a placeholder when there is none to show)."""
        if ref is None:
            return Picture(alt)
        srcs = self.sources(ref)
        if srcs is None:
            return Picture(alt, placeholder=self.unshown.get(ref.sha256, UNREADABLE))
        return Picture(alt, src=srcs[0], href=srcs[1])
