"""Pure image work: validate by content, refuse bombs, orient, strip metadata, square renditions."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

#: Formats identified from the bytes themselves (Pillow's magic-number detection), never from a name.
#: MPO is JPEG with extra images appended (CIPA DC-007, "Multi-Picture Format"): what many
#: phone cameras write (depth maps, portrait mode). Its first image is an ordinary JPEG, and
#: it is the one rendered. HEIC (the iPhone default) is not here: Pillow 13 cannot read it
#: without the pillow-heif plugin (a libheif build in the layer); iOS hands apps a JPEG
#: when they ask for a compatible format, and upload_url only signs jpg, png and webp.
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
#: Formats whose extra frames are not animation.
STILL_MULTI_FRAME = frozenset({"MPO"})
CONTENT_TYPES = {"webp": "image/webp", "jpeg": "image/jpeg"}


class RejectedImageError(Exception):
    """The upload is not an image we accept; ``str()`` says why. Never retried."""


@dataclass(frozen=True)
class Rendition:
    size: int
    body: bytes
    content_type: str


def _open(data: bytes, max_pixels: int) -> Image.Image:
    # Pillow's own guard (DecompressionBombError above 2x this) backs up the explicit check below.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))  # reads the header only
            if probe.format not in ACCEPTED_FORMATS:
                raise RejectedImageError(f"content is {probe.format or 'unknown'}, not JPEG, PNG or WebP")
            width, height = probe.size
            if width * height > max_pixels:
                raise RejectedImageError(f"{width}x{height} exceeds the {max_pixels}-pixel limit (decompression bomb)")
            if probe.format not in STILL_MULTI_FRAME and getattr(probe, "n_frames", 1) > 1:
                raise RejectedImageError("animated images are not accepted")
            probe.verify()  # structure and checksums, without decoding pixels
            image = Image.open(io.BytesIO(data))
            return image
    except RejectedImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise RejectedImageError(f"not a decodable image: {error}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise RejectedImageError(f"corrupt image: {error}") from None


def _decode(image: Image.Image, largest: int) -> Image.Image:
    """Decode just enough pixels: JPEG DCT scaling keeps the short side at least ``largest``."""
    width, height = image.size
    if image.format in ("JPEG", "MPO"):
        scale = largest / min(width, height)
        image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise RejectedImageError(f"corrupt image: {error}") from None
    return image


def _normalise_mode(image: Image.Image, fmt: str) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha and fmt == "webp":
        return image.convert("RGBA")
    if has_alpha:  # JPEG has no alpha: flatten onto white
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def render(data: bytes, *, sizes: Sequence[int], fmt: str, quality: int, max_pixels: int) -> list[Rendition]:
    """Square cover-crop renditions (largest first) with EXIF orientation applied and no metadata.

    Raises RejectedImageError for anything about the upload that goes wrong: this is pure
    work on the bytes (no AWS call), so no failure in it is transient, and a retry would
    only fail the same way into the DLQ while the upload stayed in uploads/. Pillow raises
    many types for hostile content (SyntaxError for a malformed PNG ``eXIf`` chunk inside
    ``exif_transpose``, struct.error, ZeroDivisionError, ...), hence the broad catch.
    """
    try:
        return _render(data, sizes=sizes, fmt=fmt, quality=quality, max_pixels=max_pixels)
    except RejectedImageError:
        raise
    except Exception as error:  # noqa: BLE001 - see the docstring: every failure here is the content's
        raise RejectedImageError(
            f"cannot decode, orient or strip the image: {type(error).__name__}: {error}"[:300]
        ) from None


def _render(data: bytes, *, sizes: Sequence[int], fmt: str, quality: int, max_pixels: int) -> list[Rendition]:
    image = _decode(_open(data, max_pixels), max(sizes))
    with warnings.catch_warnings():
        # Pillow warns ("Corrupt EXIF data") and carries on; the tags are dropped anyway.
        warnings.simplefilter("ignore", UserWarning)
        oriented = ImageOps.exif_transpose(image)  # rotates per EXIF Orientation and drops that tag
    square_side = min(oriented.size)
    left = (oriented.width - square_side) // 2
    top = (oriented.height - square_side) // 2
    square = _normalise_mode(oriented.crop((left, top, left + square_side, top + square_side)), fmt)
    renditions = []
    source = square
    for size in sorted(sizes, reverse=True):
        # Each size from the previous (larger) one: cheaper, and reducing_gap keeps it sharp.
        resized = source.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
        resized.info = {}  # no EXIF, XMP, ICC or comments carried over
        buffer = io.BytesIO()
        if fmt == "webp":
            resized.save(buffer, "WEBP", quality=quality, method=4)
        else:
            resized.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        renditions.append(Rendition(size, buffer.getvalue(), CONTENT_TYPES[fmt]))
        source = resized
    return renditions
