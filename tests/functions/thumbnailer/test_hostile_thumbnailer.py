"""thumbnailer under hostile uploads: anything wrong with the bytes is a rejection (moved to
rejected/, UploadRejected), never a retry; nothing reaches the media bucket. Phone photos
(EXIF-oriented JPEG, multi-picture MPO) are accepted."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any

import pytest
from PIL import Image
from thumbnailer import handler as app

from tests.functions.conftest import FakeLambdaContext
from tests.functions.thumbnailer.test_thumbnailer import (
    IMAGE_ID,
    MEDIA,
    SUB,
    UPLOADS,
    jpeg_with_gps_and_orientation,
    keys,
    rendition,
    run,
    s3,  # noqa: F401 - the fixture
    upload,
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 128, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def png_with_exif_chunk(payload: bytes) -> bytes:
    """A valid PNG with an ``eXIf`` chunk (PNG 1.5 extension) holding ``payload``, CRC correct."""
    data = _png()
    at = data.index(b"IDAT") - 4
    return data[:at] + _chunk(b"eXIf", payload) + data[at:]


def _jpeg(**save: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 10, 10)).save(buffer, "JPEG", **save)
    return buffer.getvalue()


def _gif_animated() -> bytes:
    frames = [Image.new("P", (20, 20), i) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def _webp_animated() -> bytes:
    frames = [Image.new("RGB", (20, 20), (i * 60, 0, 0)) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def _format(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def _mpo() -> bytes:
    """Two JPEGs in one file, as phone cameras write them (the second a depth map or preview)."""
    first = Image.new("RGB", (640, 480), (10, 200, 10))
    second = Image.new("RGB", (160, 120), (0, 0, 0))
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


_JPEG = _jpeg()
_PNG = _png()

#: (bytes, the extension it is uploaded under). Each must be rejected.
HOSTILE: dict[str, tuple[bytes, str]] = {
    "png eXIf garbage (the issue's case)": (png_with_exif_chunk(b"garbage"), "png"),
    "png eXIf bad TIFF magic": (png_with_exif_chunk(b"XX*\x00\x08\x00\x00\x00"), "png"),
    "png eXIf only a header": (png_with_exif_chunk(b"MM"), "png"),
    "empty file": (b"", "jpg"),
    "one byte": (b"\xff", "jpg"),
    "jpeg magic only": (b"\xff\xd8\xff", "jpg"),
    "png magic only": (b"\x89PNG\r\n\x1a\n", "png"),
    "png header no data": (_PNG[:33], "png"),
    "png truncated in IDAT": (_PNG[: len(_PNG) - 20], "png"),
    "png bad IDAT crc": (_PNG[:-16] + b"\0\0\0\0" + _PNG[-12:], "png"),
    "png zero width": (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 10, 8, 2, 0, 0, 0)), "png"),
    "png bad colour type": (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 10, 8, 7, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b"\0" * 40))
        + _chunk(b"IEND", b""),
        "png",
    ),
    "jpeg truncated to header": (_JPEG[:200], "jpg"),
    "jpeg with zeroed scan": (_JPEG[:300] + b"\0" * (len(_JPEG) - 300), "jpg"),
    "gif named png": (_format("GIF"), "png"),
    "animated gif": (_gif_animated(), "png"),
    "animated webp": (_webp_animated(), "webp"),
    "bmp named jpg": (_format("BMP"), "jpg"),
    "tiff named jpg": (_format("TIFF"), "jpg"),
    "ico named png": (_format("ICO"), "png"),
    "pdf named jpg": (b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "jpg"),
    "svg named png": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "png"),
    "html named webp": (b"<html><body>hi</body></html>", "webp"),
    "zip named jpg": (b"PK\x03\x04" + b"\0" * 100, "jpg"),
    "elf named png": (b"\x7fELF" + b"\0" * 100, "png"),
    "riff not webp": (b"RIFF\x10\x00\x00\x00WAVEfmt " + b"\0" * 16, "webp"),
    "webp truncated": (_format("WEBP")[:20], "webp"),
    "png bomb 50k x 50k": (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _chunk(b"IEND", b""),
        "png",
    ),
    "utf-16 text": ("not an image \U0001f600".encode("utf-16"), "jpg"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_upload_is_rejected_never_retried(
    s3: Any,  # noqa: F811 - the fixture
    lambda_context: FakeLambdaContext,
    name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, ext = HOSTILE[name]
    key = upload(s3, data, ext)

    assert run(s3, key, lambda_context) == ["rejected"], "returns normally: Lambda does not retry it"
    assert keys(s3, UPLOADS) == [f"rejected/{SUB}/{IMAGE_ID}.{ext}"], "moved aside, not left in uploads/"
    assert keys(s3, MEDIA) == [], "nothing written to the media bucket"
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(m.get("UploadRejected") in (1, [1], 1.0, [1.0]) for m in emf)


@pytest.mark.parametrize(
    "key",
    [
        f"uploads/{SUB}/{IMAGE_ID}.jpg\n",
        f"uploads/{SUB}/{IMAGE_ID}.jpg\n.png",
        f"uploads/{SUB.upper()}/{IMAGE_ID}.jpg",
        f"uploads/{SUB}/{IMAGE_ID}.JPG",
        f"uploads/{SUB}/{IMAGE_ID}.gif",
        f"uploads/{SUB}/../{IMAGE_ID}.jpg",
        f"uploads/{SUB}/{IMAGE_ID}.jpg.exe",
        f"uploads/{SUB}/x/{IMAGE_ID}.jpg",
    ],
    ids=["trailing-newline", "newline-then-ext", "upper-sub", "upper-ext", "gif-ext", "dotdot", "double-ext", "nested"],
)
def test_a_key_that_is_not_exactly_an_upload_key_is_rejected(
    s3: Any,  # noqa: F811 - the fixture
    lambda_context: FakeLambdaContext,
    key: str,
) -> None:
    s3.put_object(Bucket=UPLOADS, Key=key, Body=_JPEG)
    assert run(s3, key, lambda_context) == ["rejected"]
    assert keys(s3, MEDIA) == [], "a key with a trailing newline once passed as a second copy of the same upload"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"Records": None},
        {"Records": "x"},
        {"Records": [None]},
        {"Records": [{"s3": "x"}]},
        {"Records": [{"s3": {"bucket": {"name": 7}, "object": {"key": ["k"]}}}]},
    ],
    ids=["no-records", "null-records", "string-records", "null-record", "s3-string", "wrong-types"],
)
def test_a_malformed_event_is_skipped_without_a_retry(
    s3: Any,  # noqa: F811 - the fixture
    lambda_context: FakeLambdaContext,
    event: dict[str, Any],
) -> None:
    outcomes = app.handler(event, lambda_context)["outcomes"]
    assert all(outcome == "skipped" for outcome in outcomes)
    assert keys(s3, MEDIA) == [] and keys(s3, UPLOADS) == []


def test_a_phone_photo_with_exif_orientation_is_accepted(
    s3: Any,  # noqa: F811 - the fixture
    lambda_context: FakeLambdaContext,
) -> None:
    key = upload(s3, jpeg_with_gps_and_orientation(), "jpg")
    assert run(s3, key, lambda_context) == ["processed"]
    assert rendition(s3, 600).getexif() == {}, "no EXIF (and so no GPS) in a rendition"


def test_a_multi_picture_phone_jpeg_is_accepted(
    s3: Any,  # noqa: F811 - the fixture
    lambda_context: FakeLambdaContext,
) -> None:
    """MPO (JPEG plus depth map or preview) is what many phones write; it was refused as 'animated'."""
    key = upload(s3, _mpo(), "jpg")
    assert run(s3, key, lambda_context) == ["processed"]
    pixel = rendition(s3, 150).convert("RGB").getpixel((75, 75))
    assert isinstance(pixel, tuple) and pixel[1] > 150, "the first (main) picture is the one rendered"


@pytest.mark.parametrize("payload", [b"", b"MM\x00*\xff\xff\xff\xff"], ids=["empty-exif", "exif-offset-past-the-end"])
def test_unreadable_exif_on_good_pixels_is_rendered_without_it(
    s3: Any,  # noqa: F811 - the fixture
    lambda_context: FakeLambdaContext,
    payload: bytes,
) -> None:
    """Pillow reads these as "no EXIF" (with a warning): the pixels are sound, so the upload
    is rendered, oriented as-is, and no metadata reaches the rendition."""
    key = upload(s3, png_with_exif_chunk(payload), "png")
    assert run(s3, key, lambda_context) == ["processed"]
    assert rendition(s3, 150).getexif() == {}
