"""The upload path: presigned-POST issuer (upload_url) and the thumbnailer behind the uploads bucket."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# The handlers' own contracts (functions/ is on sys.path: see components/__init__.py).
from shared.environment import ThumbnailerEnvironment, UploadUrlEnvironment

from components.content_delivery import MEDIA_PREFIX, REJECTED_PREFIX, UPLOADS_PREFIX
from components.context import DeploymentContext
from components.python_function import FunctionsSettings, PythonFunction, PythonFunctionArgs
from components.validation import ArgsError, require_choice, require_int_range
from offline.flows.model import Flow, declare

#: Image types the thumbnailer can decode, with the extension an upload key gets.
SUPPORTED_CONTENT_TYPES: Mapping[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
#: Square renditions, in pixels.
RENDITION_SIZES: tuple[int, ...] = (150, 300, 600, 1200)


@dataclass(frozen=True, kw_only=True)
class UploadSettings:
    """``<project>:uploads`` in the stack config."""

    allowed_content_types: Sequence[str] = tuple(SUPPORTED_CONTENT_TYPES)
    #: Largest declared (and enforced, content-length-range) upload size in bytes.
    max_bytes: int = 15 * 1024 * 1024
    min_bytes: int = 1
    #: Lifetime of a presigned POST (seconds).
    url_expiry_seconds: int = 300
    #: Days raw uploads are kept after upload (the renditions are made within seconds).
    raw_expiry_days: int = 7
    #: Days rejected uploads are kept for inspection.
    rejected_expiry_days: int = 30

    def __post_init__(self) -> None:
        if not self.allowed_content_types:
            raise ArgsError("allowed_content_types", "allow at least one content type")
        for index, content_type in enumerate(self.allowed_content_types):
            require_choice(f"allowed_content_types[{index}]", content_type, tuple(SUPPORTED_CONTENT_TYPES))
        require_int_range("min_bytes", self.min_bytes, 1, 5 * 1024**3)
        # A POST upload is a single PUT: S3 caps it at 5 GiB.
        require_int_range("max_bytes", self.max_bytes, self.min_bytes, 5 * 1024**3)
        require_int_range("url_expiry_seconds", self.url_expiry_seconds, 30, 3600)
        require_int_range("raw_expiry_days", self.raw_expiry_days, 1, 365)
        require_int_range("rejected_expiry_days", self.rejected_expiry_days, 1, 365)

    @property
    def content_type_extensions(self) -> dict[str, str]:
        return {content_type: SUPPORTED_CONTENT_TYPES[content_type] for content_type in self.allowed_content_types}


@dataclass(frozen=True, kw_only=True)
class ThumbnailSettings:
    """``<project>:thumbnails`` in the stack config."""

    #: ``webp`` (keeps alpha, smaller) or ``jpeg`` (alpha flattened on white).
    format: str = "webp"
    quality: int = 80
    #: Decompression-bomb limit: images declaring more pixels are rejected before decoding.
    max_pixels: int = 50_000_000

    def __post_init__(self) -> None:
        require_choice("format", self.format, ("webp", "jpeg"))
        require_int_range("quality", self.quality, 1, 100)
        require_int_range("max_pixels", self.max_pixels, 1_440_000, 200_000_000)


@dataclass(frozen=True, kw_only=True)
class MediaPipelineArgs:
    context: DeploymentContext
    uploads: UploadSettings
    thumbnails: ThumbnailSettings
    #: Sizing of upload_url and the thumbnailer (``functions.uploadUrl``, ``functions.thumbnailer``).
    functions: FunctionsSettings
    #: Browser origins the REST API admits (CORS); upload_url echoes only these.
    allowed_origins: Sequence[str] = ()
    uploads_bucket_name: pulumi.Input[str]
    uploads_bucket_arn: pulumi.Input[str]
    media_bucket_name: pulumi.Input[str]
    media_bucket_arn: pulumi.Input[str]
    #: Default encryption key of the uploads bucket (the stack's data key).
    data_key_arn: pulumi.Input[str]
    #: Default encryption key of the media bucket (content delivery's content key).
    media_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class MediaPipeline(pulumi.ComponentResource):
    """``upload_url`` (behind the REST API) and ``thumbnailer`` (S3 ObjectCreated on ``uploads/``).

    upload_url may only write ``uploads/*`` in the uploads bucket; the thumbnailer reads and
    deletes there, parks rejects under ``rejected/`` and writes renditions only under
    ``media/`` of the media bucket — a different bucket, so its output can never trigger it.
    """

    upload_url: PythonFunction
    thumbnailer: PythonFunction

    def __init__(self, name: str, args: MediaPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:media_pipeline:MediaPipeline", name, None, opts)
        ctx, uploads, thumbs = args.context, args.uploads, args.thumbnails
        child = pulumi.ResourceOptions(parent=self)

        def objects(bucket_arn: pulumi.Input[str], prefix: str) -> pulumi.Output[str]:
            return pulumi.Output.concat(bucket_arn, "/", prefix, "*")

        # S3 calls KMS on the caller's behalf for SSE-KMS objects (kms:ViaService).
        via_s3 = f"s3.{ctx.region}.{ctx.dns_suffix}"

        self.upload_url = PythonFunction(
            f"{name}-upload-url",
            PythonFunctionArgs(
                source="upload_url",
                description="Issues presigned POSTs for uploads/{sub}/{uuid}.{ext}",
                **args.functions.upload_url.function_args(),
                environment=UploadUrlEnvironment(
                    bucket=args.uploads_bucket_name,
                    data_key_arn=args.data_key_arn,
                    content_types=uploads.content_type_extensions,
                    min_bytes=uploads.min_bytes,
                    max_bytes=uploads.max_bytes,
                    expiry_seconds=uploads.url_expiry_seconds,
                    allowed_origins=tuple(args.allowed_origins),
                ),
                statements=[
                    {
                        # The presigned POST is signed with this role: it can only ever write uploads/.
                        "Sid": "PutRawUploads",
                        "Effect": "Allow",
                        "Action": ["s3:PutObject"],
                        "Resource": [objects(args.uploads_bucket_arn, UPLOADS_PREFIX)],
                    },
                    {
                        "Sid": "EncryptUploadsWithDataKey",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey"],
                        "Resource": [args.data_key_arn],
                    },
                ],
                context=ctx,
                data_key_arn=args.data_key_arn,
                logs_key_arn=args.logs_key_arn,
                tags=args.tags,
            ),
            opts=child,
        )
        self.thumbnailer = PythonFunction(
            f"{name}-thumbnailer",
            PythonFunctionArgs(
                source="thumbnailer",
                description="Validates uploaded images and writes square renditions to the media bucket",
                **args.functions.thumbnailer.function_args(),
                dead_letter_queue=True,
                environment=ThumbnailerEnvironment(
                    uploads_bucket=args.uploads_bucket_name,
                    media_bucket=args.media_bucket_name,
                    fmt=thumbs.format,
                    quality=thumbs.quality,
                    sizes=RENDITION_SIZES,
                    max_pixels=thumbs.max_pixels,
                ),
                statements=[
                    {
                        "Sid": "ReadAndRemoveRawUploads",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:DeleteObject"],
                        "Resource": [objects(args.uploads_bucket_arn, UPLOADS_PREFIX)],
                    },
                    {
                        "Sid": "ParkRejectedUploads",
                        "Effect": "Allow",
                        "Action": ["s3:PutObject"],
                        "Resource": [objects(args.uploads_bucket_arn, REJECTED_PREFIX)],
                    },
                    {
                        "Sid": "WriteRenditions",
                        "Effect": "Allow",
                        "Action": ["s3:PutObject"],
                        "Resource": [objects(args.media_bucket_arn, MEDIA_PREFIX)],
                    },
                    {
                        # SSE-KMS GetObject decrypts, PutObject (rejects) generates a data key.
                        "Sid": "UseUploadsKeyThroughS3",
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                        "Resource": [args.data_key_arn],
                        "Condition": {"StringEquals": {"kms:ViaService": via_s3}},
                    },
                    {
                        # Renditions are only written (PutObject): a data key, never a decrypt.
                        "Sid": "EncryptRenditionsWithMediaKey",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey"],
                        "Resource": [args.media_key_arn],
                        "Condition": {"StringEquals": {"kms:ViaService": via_s3}},
                    },
                ],
                context=ctx,
                data_key_arn=args.data_key_arn,
                logs_key_arn=args.logs_key_arn,
                tags=args.tags,
            ),
            opts=child,
        )
        permission = aws.lambda_.Permission(
            f"{name}-thumbnailer-s3-invoke",
            action="lambda:InvokeFunction",
            function=self.thumbnailer.function.name,
            principal="s3.amazonaws.com",
            source_arn=args.uploads_bucket_arn,
            source_account=ctx.account_id,
            opts=child,
        )
        aws.s3.BucketNotification(
            f"{name}-uploads-notification",
            bucket=args.uploads_bucket_name,
            lambda_functions=[
                aws.s3.BucketNotificationLambdaFunctionArgs(
                    id="thumbnailer",
                    lambda_function_arn=self.thumbnailer.function.arn,
                    events=["s3:ObjectCreated:*"],
                    filter_prefix=UPLOADS_PREFIX,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        # Runtime flows (offline/flows evaluates them; S3 SSE-KMS adds the KMS calls S3 makes).
        # The presigned POST is authorised as upload_url's role (Amazon S3 user guide, "Uploading
        # objects using presigned URLs": the URL carries the signer's permissions).
        presigned_doc = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/PresignedUrlUploadObject.html"
        # S3 user guide, "Granting permissions to publish event notification messages to a
        # destination": s3.amazonaws.com invokes with aws:SourceArn = the bucket, aws:SourceAccount.
        notification_doc = (
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html"
        )
        thumbnailer = self.thumbnailer.role.arn

        def object_in(bucket_arn: pulumi.Input[str], prefix: str) -> pulumi.Output[str]:
            return pulumi.Output.concat(bucket_arn, "/", prefix, "user-sub/object.jpg")

        declare(
            Flow(
                caller=self.upload_url.role.arn,
                action="s3:PutObject",
                resource=object_in(args.uploads_bucket_arn, UPLOADS_PREFIX),
                purpose="a client's presigned POST of a raw upload",
                doc=presigned_doc,
                function="upload_url",
            ),
            Flow(
                caller="s3.amazonaws.com",
                action="lambda:InvokeFunction",
                resource=self.thumbnailer.function.arn,
                context={"aws:SourceArn": args.uploads_bucket_arn, "aws:SourceAccount": ctx.account_id},
                purpose="an upload under uploads/ starts the thumbnailer",
                doc=notification_doc,
            ),
            *(
                Flow(
                    caller=thumbnailer,
                    action=action,
                    resource=object_in(bucket, prefix),
                    purpose=purpose,
                    doc="https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html",
                    function="thumbnailer",
                )
                for action, bucket, prefix, purpose in (
                    (
                        "s3:GetObject",
                        args.uploads_bucket_arn,
                        UPLOADS_PREFIX,
                        "read the raw upload (and copy it when rejected)",
                    ),
                    ("s3:DeleteObject", args.uploads_bucket_arn, UPLOADS_PREFIX, "remove the raw upload once handled"),
                    (
                        "s3:PutObject",
                        args.uploads_bucket_arn,
                        REJECTED_PREFIX,
                        "park a rejected upload (CopyObject target)",
                    ),
                    ("s3:PutObject", args.media_bucket_arn, MEDIA_PREFIX, "write the renditions"),
                )
            ),
        )
        self.register_outputs(
            {"uploadUrlFunction": self.upload_url.function.name, "thumbnailerFunction": self.thumbnailer.function.name}
        )
