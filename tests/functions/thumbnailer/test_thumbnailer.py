"""thumbnailer: real images made here with Pillow, through moto S3 with real S3 event shapes."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from PIL import Image
from thumbnailer import handler as app
from thumbnailer.imaging import RejectedImageError, render

from tests.functions.conftest import FakeLambdaContext

UPLOADS = "social-backend-test-uploads-123456789012"
MEDIA = "social-backend-test-media-123456789012"
SUB = "7d3f9a52-1c4e-4b8a-9f00-0123456789ab"
IMAGE_ID = "11111111-2222-4333-8444-555555555555"
SIZES = (150, 300, 600, 1200)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mock_aws():
        app._s3.cache_clear()
        client = boto3.client("s3")
        for bucket in (UPLOADS, MEDIA):
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        for name, value in {
            "UPLOADS_BUCKET": UPLOADS,
            "MEDIA_BUCKET": MEDIA,
            "RENDITION_FORMAT": "webp",
            "RENDITION_QUALITY": "80",
            "RENDITION_SIZES": ",".join(map(str, SIZES)),
            "MAX_PIXELS": "50000000",
        }.items():
            monkeypatch.setenv(name, value)
        yield client
        app._s3.cache_clear()


def s3_event(key: str, bucket: str = UPLOADS) -> dict[str, Any]:
    """An S3 ObjectCreated:Post notification as Lambda receives it (key URL-encoded)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-1",
                "eventTime": "2026-01-01T00:00:00.000Z",
                "eventName": "ObjectCreated:Post",
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.10"},
                "responseElements": {"x-amz-request-id": "REQ", "x-amz-id-2": "ID2"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "thumbnailer",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "OWNER"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {"key": key, "size": 1, "eTag": "etag", "sequencer": "0055AED6DCD90281E5"},
                },
            }
        ]
    }


def upload(s3: Any, data: bytes, ext: str) -> str:
    key = f"uploads/{SUB}/{IMAGE_ID}.{ext}"
    s3.put_object(Bucket=UPLOADS, Key=key, Body=data)
    return key


def run(s3: Any, key: str, context: FakeLambdaContext, bucket: str = UPLOADS) -> list[str]:
    result: list[str] = app.handler(s3_event(key, bucket), context)["outcomes"]
    return result


def rendition(s3: Any, size: int) -> Image.Image:
    body = s3.get_object(Bucket=MEDIA, Key=f"media/{SUB}/{IMAGE_ID}/{size}.webp")["Body"].read()
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


def keys(s3: Any, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def jpeg_with_gps_and_orientation() -> bytes:
    """600x300 landscape: left half red, right half blue; EXIF Orientation=6 and GPS."""
    image = Image.new("RGB", (600, 300), (255, 0, 0))
    image.paste((0, 0, 255), (300, 0, 600, 300))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "TestCam"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.0), "E", (13.0, 24.0, 36.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)
    return buffer.getvalue()


def test_jpeg_is_oriented_cropped_and_stripped(s3: Any, lambda_context: FakeLambdaContext) -> None:
    key = upload(s3, jpeg_with_gps_and_orientation(), "jpg")
    assert run(s3, key, lambda_context) == ["processed"]
    assert keys(s3, MEDIA) == sorted(f"media/{SUB}/{IMAGE_ID}/{size}.webp" for size in SIZES)
    for size in SIZES:
        image = rendition(s3, size)
        assert image.size == (size, size) and image.format == "WEBP"
        assert not image.getexif(), "no EXIF (so no GPS) in the output"
        assert "exif" not in image.info and "icc_profile" not in image.info and "xmp" not in image.info
    # Orientation 6 turns the 600x300 landscape into 300x600 portrait: red on top, blue below.
    # The centre square crop is rows 150-450: top half red, bottom half blue.
    image = rendition(s3, 600).convert("RGB")
    top, bottom = image.getpixel((300, 100)), image.getpixel((300, 500))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60, f"top should be red, got {top}"
    assert bottom[2] > 200 and bottom[0] < 60, f"bottom should be blue, got {bottom}"


def test_centre_crop_of_a_wide_image(s3: Any, lambda_context: FakeLambdaContext) -> None:
    """1800x600 PNG: a green band in the middle third, grey sides; the square is the band."""
    image = Image.new("RGB", (1800, 600), (128, 128, 128))
    image.paste((0, 255, 0), (600, 0, 1200, 600))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    key = upload(s3, buffer.getvalue(), "png")
    assert run(s3, key, lambda_context) == ["processed"]
    out = rendition(s3, 300).convert("RGB")
    for x, y in ((5, 5), (150, 150), (294, 294)):
        pixel = out.getpixel((x, y))
        assert isinstance(pixel, tuple) and pixel[1] > 200 and pixel[0] < 60, f"({x},{y}) is {pixel}"


def test_png_alpha_is_kept_in_webp(s3: Any, lambda_context: FakeLambdaContext) -> None:
    image = Image.new("RGBA", (400, 400), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (100, 100, 300, 300))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    key = upload(s3, buffer.getvalue(), "png")
    assert run(s3, key, lambda_context) == ["processed"]
    out = rendition(s3, 300)
    assert out.mode == "RGBA"
    corner, centre = out.getpixel((2, 2)), out.getpixel((150, 150))
    assert isinstance(corner, tuple) and isinstance(centre, tuple)
    assert corner[3] == 0 and centre[3] == 255


def test_webp_input(s3: Any, lambda_context: FakeLambdaContext) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1300, 1400), (10, 200, 30)).save(buffer, "WEBP")
    key = upload(s3, buffer.getvalue(), "webp")
    assert run(s3, key, lambda_context) == ["processed"]
    assert rendition(s3, 1200).size == (1200, 1200)


def tiny_png_declaring(width: int, height: int) -> bytes:
    """A ~100-byte PNG whose header claims width x height pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((800, 600), 64).convert("RGB").save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("data", "ext", "reason"),
    [
        (b"hello, I am definitely a photo\n" * 20, "jpg", "not a decodable image"),
        (truncated_jpeg(), "jpg", "corrupt image"),
        (tiny_png_declaring(100_000, 100_000), "png", "decompression bomb"),
        (b"GIF89a" + b"\0" * 64, "png", "not a decodable image"),
    ],
    ids=["text-named-jpg", "truncated-jpeg", "png-bomb", "garbage-named-png"],
)
def test_bad_uploads_are_moved_aside_not_retried(
    s3: Any, lambda_context: FakeLambdaContext, data: bytes, ext: str, reason: str
) -> None:
    key = upload(s3, data, ext)
    assert run(s3, key, lambda_context) == ["rejected"]  # returns normally: no retry
    assert keys(s3, UPLOADS) == [f"rejected/{SUB}/{IMAGE_ID}.{ext}"]
    assert keys(s3, MEDIA) == []
    with pytest.raises(RejectedImageError, match=reason):  # the reason that is logged
        render(data, sizes=SIZES, fmt="webp", quality=80, max_pixels=50_000_000)
    # A redelivered event finds nothing left to do.
    assert run(s3, key, lambda_context) == ["skipped"]


def test_own_output_and_foreign_keys_are_never_processed(s3: Any, lambda_context: FakeLambdaContext) -> None:
    s3.put_object(Bucket=MEDIA, Key=f"media/{SUB}/{IMAGE_ID}/150.webp", Body=b"x")
    assert run(s3, f"media/{SUB}/{IMAGE_ID}/150.webp", lambda_context, bucket=MEDIA) == ["skipped"]
    s3.put_object(Bucket=UPLOADS, Key=f"rejected/{SUB}/{IMAGE_ID}.jpg", Body=b"x")
    assert run(s3, f"rejected/{SUB}/{IMAGE_ID}.jpg", lambda_context) == ["skipped"]
    s3.put_object(Bucket=UPLOADS, Key="uploads/../../etc/passwd", Body=b"x")
    assert run(s3, "uploads/../../etc/passwd", lambda_context) == ["rejected"]
    assert keys(s3, MEDIA) == [f"media/{SUB}/{IMAGE_ID}/150.webp"]


def test_transient_errors_raise_for_retry(s3: Any, lambda_context: FakeLambdaContext) -> None:
    key = upload(s3, jpeg_with_gps_and_orientation(), "jpg")
    s3.delete_bucket(Bucket=MEDIA)  # writing renditions fails: an S3 error, not a bad image
    with pytest.raises(s3.exceptions.NoSuchBucket):
        run(s3, key, lambda_context)
    assert keys(s3, UPLOADS) == [key], "the upload stays for the retry"
