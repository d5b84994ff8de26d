"""Private buckets for static assets, uploads, media and logs, served by CloudFront behind WAF."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.keys import KeySpec, account_root_statement, customer_key, logs_statement
from components.secure_bucket import BucketSpec, LifecycleRule, SecureBucket, secure_bucket
from components.validation import ArgsError, require_choice, require_int_range
from components.web_firewall import CLOUDFRONT_REGION, WebFirewall, WebFirewallArgs, WebFirewallSettings
from offline.flows.model import Flow, declare

#: CloudFront's managed "CachingOptimized" cache policy (no cookies, headers or query strings in the key).
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
#: The newest viewer security policy: TLS 1.2 and later with modern ciphers only (CloudFront.15).
MINIMUM_TLS = "TLSv1.2_2021"
#: Where the upload pipeline writes raw uploads, rejected files and renditions (key prefixes).
UPLOADS_PREFIX = "uploads/"
REJECTED_PREFIX = "rejected/"
MEDIA_PREFIX = "media/"
#: The content security policy for a CDN that serves images and static files to a mobile app:
#: nothing may be loaded, framed, scripted or posted by what it serves.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
HOSTED_ZONE = re.compile(r"^Z[A-Z0-9]{1,31}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, kw_only=True)
class ContentDeliverySettings:
    """``<project>:contentDelivery`` in the stack config."""

    #: Custom domain (e.g. ``cdn.example.com``) with an ACM certificate; None uses ``*.cloudfront.net``.
    domain_name: str | None = None
    #: Route 53 hosted zone that validates the certificate and holds the alias; required with ``domain_name``.
    hosted_zone_id: str | None = None
    price_class: str = "PriceClass_100"
    #: ISO 3166 country codes refused at the edge (geo restriction); empty: none.
    blocked_countries: Sequence[str] = ()
    #: Days S3 keeps a replaced or deleted object version before expiring it.
    noncurrent_version_days: int = 30
    abort_incomplete_upload_days: int = 1
    #: Days access logs (S3 server access logs, CloudFront logs) are kept.
    log_expiry_days: int = 365
    firewall: WebFirewallSettings = field(default_factory=WebFirewallSettings)
    #: Pulumi ``protect`` on the four buckets and the content and us-east-1 logs keys.
    protect: bool = True

    def __post_init__(self) -> None:
        if (self.domain_name is None) != (self.hosted_zone_id is None):
            raise ArgsError("hosted_zone_id", "set domainName and hostedZoneId together (DNS-validated certificate)")
        if self.domain_name is not None and not DOMAIN.match(self.domain_name):
            raise ArgsError(
                "domain_name", f"must be a lowercase DNS name such as cdn.example.com, got {self.domain_name!r}"
            )
        if self.hosted_zone_id is not None and not HOSTED_ZONE.match(self.hosted_zone_id):
            raise ArgsError("hosted_zone_id", f"must be a Route 53 hosted zone id (Z...), got {self.hosted_zone_id!r}")
        require_choice("price_class", self.price_class, ("PriceClass_100", "PriceClass_200", "PriceClass_All"))
        for index, country in enumerate(self.blocked_countries):
            if not COUNTRY.match(country):
                raise ArgsError(f"blocked_countries[{index}]", f"must be an ISO 3166 alpha-2 code, got {country!r}")
        require_int_range("noncurrent_version_days", self.noncurrent_version_days, 1, 3650)
        require_int_range("abort_incomplete_upload_days", self.abort_incomplete_upload_days, 1, 30)
        require_int_range("log_expiry_days", self.log_expiry_days, 1, 3650)


@dataclass(frozen=True, kw_only=True)
class ContentDeliveryArgs:
    context: DeploymentContext
    settings: ContentDeliverySettings
    #: The stack's data key: SSE-KMS on the uploads bucket (the static and media buckets,
    #: which CloudFront reads, have a key of their own; the logs bucket is SSE-S3).
    data_key_arn: pulumi.Input[str]
    #: Days raw uploads stay in ``uploads/`` (the thumbnailer has processed them within seconds).
    raw_upload_expiry_days: int
    #: Days rejected uploads stay in ``rejected/`` for inspection.
    rejected_upload_expiry_days: int
    #: Deletion window of the content key and of the us-east-1 key that encrypts the
    #: CloudFront WAF logs (the stack's keys setting).
    key_deletion_window_days: int = 30
    #: Rotation period of the content key (the stack's keys setting).
    key_rotation_period_days: int = 365
    #: Browser origins that POST presigned forms straight to the uploads bucket (the REST
    #: API's allowed origins); empty: no CORS configuration, browsers cannot upload.
    upload_origins: Sequence[str] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_int_range("raw_upload_expiry_days", self.raw_upload_expiry_days, 1, 365)
        require_int_range("rejected_upload_expiry_days", self.rejected_upload_expiry_days, 1, 365)
        require_int_range("key_deletion_window_days", self.key_deletion_window_days, 7, 30)
        require_int_range("key_rotation_period_days", self.key_rotation_period_days, 90, 2560)


def bucket_name(ctx: DeploymentContext, role: str) -> str:
    """Globally unique and stable: ``<project>-<stack>-<role>-<account>`` (at most 63 characters)."""
    return f"{ctx.prefix}-{role}-{ctx.account_id}"


class ContentDelivery(pulumi.ComponentResource):
    """Four private buckets and a CloudFront distribution in front of two of them.

    - ``static`` (default behaviour) and ``media`` (``/media/*``) are read only by this
      distribution through origin access control; their policies admit
      ``cloudfront.amazonaws.com`` with ``AWS:SourceArn`` = this distribution and nothing else.
    - ``uploads`` receives presigned POSTs from the app (CORS admits exactly the configured
      browser origins, POST only); nothing reads it but the thumbnailer.
    - ``logs`` receives S3 server access logs of the other three and CloudFront standard
      logging (v2, through CloudWatch Logs vended-log delivery, which needs no ACLs).

    ``static`` and ``media`` are SSE-KMS with the content key, whose key policy lets
    CloudFront decrypt for this distribution only; ``uploads`` is SSE-KMS with the data
    key; ``logs`` is SSE-S3, the only default encryption S3 server access logging writes
    into. Every bucket: all public access blocked, ACLs disabled, TLS-only policy,
    versioning and lifecycle rules.
    """

    static: SecureBucket
    uploads: SecureBucket
    media: SecureBucket
    logs: SecureBucket
    content_key: aws.kms.Key
    content_key_policy: aws.kms.KeyPolicy
    uploads_cors: aws.s3.BucketCorsConfiguration | None
    distribution: aws.cloudfront.Distribution
    origin_access_control: aws.cloudfront.OriginAccessControl
    firewall: WebFirewall
    certificate: aws.acm.Certificate | None

    def __init__(self, name: str, args: ContentDeliveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:content_delivery:ContentDelivery", name, None, opts)
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        # -- lifecycle --------------------------------------------------------------------
        def rule(rule_id: str, prefix: str = "", expire_days: int | None = None) -> LifecycleRule:
            return LifecycleRule(
                rule_id=rule_id,
                prefix=prefix,
                expire_after_days=expire_days,
                noncurrent_version_days=settings.noncurrent_version_days,
                abort_multipart_days=settings.abort_incomplete_upload_days,
            )

        def make(
            role: str,
            rules: Sequence[LifecycleRule],
            access_log_bucket: pulumi.Input[str] | None,
            kms_key_arn: pulumi.Input[str] | None,
        ) -> SecureBucket:
            return secure_bucket(
                name,
                BucketSpec(
                    role=role,
                    bucket_name=bucket_name(ctx, role),
                    kms_key_arn=kms_key_arn,
                    receives_server_access_logs=kms_key_arn is None,
                    lifecycle_rules=rules,
                    access_log_bucket=access_log_bucket,
                    access_log_prefix=f"s3-access/{role}/",
                    protect=settings.protect,
                    tags=tags,
                ),
                self,
            )

        # -- server access logging: every bucket but the log bucket itself logs there -------
        # The logs bucket does not log into itself (each delivery would log a delivery); its
        # writers are AWS services, and object-level reads and writes are audited by CloudTrail.
        # SSE-S3 (no key): S3 server access logging delivers into no other default encryption.
        self.logs = make("logs", [rule("expire-logs", expire_days=settings.log_expiry_days)], None, None)
        log_target = self.logs.bucket.id
        self.content_key = self._content_key(name, args)
        self.static = make("static", [rule("noncurrent-versions")], log_target, self.content_key.arn)
        self.uploads = make(
            "uploads",
            [
                rule("noncurrent-versions"),
                rule("expire-raw-uploads", UPLOADS_PREFIX, args.raw_upload_expiry_days),
                rule("expire-rejected-uploads", REJECTED_PREFIX, args.rejected_upload_expiry_days),
            ],
            log_target,
            args.data_key_arn,
        )
        self.media = make("media", [rule("noncurrent-versions")], log_target, self.content_key.arn)
        self.uploads_cors = self._uploads_cors(name, args)

        # -- edge: WAF (us-east-1), certificate, OAC, headers, distribution -------------------
        edge_key = self._edge_logs_key(name, args)
        self.firewall = WebFirewall(
            f"{name}-waf",
            WebFirewallArgs(
                context=ctx,
                settings=settings.firewall,
                scope="CLOUDFRONT",
                logs_key_arn=edge_key.arn,
                tags=tags,
            ),
            opts=child,
        )
        self.certificate, viewer_certificate = self._viewer_certificate(name, args)
        self.origin_access_control = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=f"{ctx.prefix}-s3",
            description="CloudFront signs every origin request to the static and media buckets (SigV4)",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-security-headers",
            name=f"{ctx.prefix}-security-headers",
            comment="HSTS, nosniff, frame DENY, strict referrer, locked-down CSP",
            security_headers_config=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs(
                strict_transport_security=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=63_072_000, include_subdomains=True, preload=True, override=True
                ),
                content_type_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                    override=True
                ),
                frame_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                    frame_option="DENY", override=True
                ),
                referrer_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
                content_security_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                    content_security_policy=CONTENT_SECURITY_POLICY, override=True
                ),
            ),
            custom_headers_config=aws.cloudfront.ResponseHeadersPolicyCustomHeadersConfigArgs(
                items=[
                    aws.cloudfront.ResponseHeadersPolicyCustomHeadersConfigItemArgs(
                        header="Permissions-Policy", value="camera=(), microphone=(), geolocation=()", override=True
                    )
                ]
            ),
            opts=child,
        )

        static_origin, media_origin = "static", "media"
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            comment=f"{ctx.prefix}: static assets and media renditions",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=settings.price_class,
            default_root_object="index.html",
            aliases=[settings.domain_name] if settings.domain_name else None,
            web_acl_id=self.firewall.web_acl.arn,
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id=origin_id,
                    domain_name=bucket.bucket.bucket_regional_domain_name,
                    origin_access_control_id=self.origin_access_control.id,
                )
                for origin_id, bucket in ((static_origin, self.static), (media_origin, self.media))
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=static_origin,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"],
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                response_headers_policy_id=headers.id,
            ),
            ordered_cache_behaviors=[
                aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                    path_pattern=f"/{MEDIA_PREFIX}*",
                    target_origin_id=media_origin,
                    viewer_protocol_policy="https-only",
                    allowed_methods=["GET", "HEAD"],
                    cached_methods=["GET", "HEAD"],
                    compress=False,  # renditions are already compressed images
                    cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                    response_headers_policy_id=headers.id,
                )
            ],
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="blacklist" if settings.blocked_countries else "none",
                    locations=list(settings.blocked_countries),
                )
            ),
            viewer_certificate=viewer_certificate,
            tags=tags,
            opts=child,
        )
        if settings.domain_name is not None and settings.hosted_zone_id is not None:
            aws.route53.Record(
                f"{name}-alias",
                zone_id=settings.hosted_zone_id,
                name=settings.domain_name,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=self.distribution.domain_name,
                        zone_id=self.distribution.hosted_zone_id,
                        evaluate_target_health=False,
                    )
                ],
                opts=child,
            )

        # -- bucket policies: TLS only; origins admit only this distribution -----------------
        for bucket in (self.static, self.media):
            bucket.attach_policy([self._cloudfront_read(bucket, self.distribution.arn)])
        self.uploads.attach_policy([])
        self.content_key_policy = self._content_key_policy(name, args)
        self._standard_logging(name, args)
        # Runtime flows. CloudFront developer guide, "Restricting access to an Amazon S3 origin":
        # OAC fetches as cloudfront.amazonaws.com with AWS:SourceArn = the distribution's ARN, and
        # on an SSE-KMS bucket S3 calls kms:Decrypt for it (the key policy must allow the service
        # principal for that distribution). S3 user guide, "Enabling Amazon S3 server access
        # logging": logging.s3.amazonaws.com writes with aws:SourceArn = the source bucket.
        oac_doc = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html"
        access_logs_doc = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html"
        declare(
            *(
                Flow(
                    caller="cloudfront.amazonaws.com",
                    action="s3:GetObject",
                    resource=pulumi.Output.concat(bucket.arn, key),
                    context={"aws:SourceArn": self.distribution.arn, "aws:SourceAccount": ctx.account_id},
                    purpose=f"the CDN serves {role} objects through OAC",
                    doc=oac_doc,
                )
                for role, bucket, key in (
                    ("static", self.static, "/index.html"),
                    ("media", self.media, f"/{MEDIA_PREFIX}user-sub/photo-300.webp"),
                )
            ),
            *(
                Flow(
                    caller="logging.s3.amazonaws.com",
                    action="s3:PutObject",
                    resource=pulumi.Output.concat(self.logs.arn, f"/s3-access/{role}/log-object"),
                    context={"aws:SourceArn": bucket.arn, "aws:SourceAccount": ctx.account_id},
                    purpose=f"server access logs of the {role} bucket",
                    doc=access_logs_doc,
                )
                for role, bucket in (("static", self.static), ("uploads", self.uploads), ("media", self.media))
            ),
        )
        self.register_outputs(
            {
                "distributionDomainName": self.distribution.domain_name,
                "distributionArn": self.distribution.arn,
                "contentKeyArn": self.content_key.arn,
                "bucketNames": {
                    "static": self.static.name,
                    "uploads": self.uploads.name,
                    "media": self.media.name,
                    "logs": self.logs.name,
                },
            }
        )

    def _content_key(self, name: str, args: ContentDeliveryArgs) -> aws.kms.Key:
        """The key of the buckets CloudFront reads. Its policy names the distribution, which
        is created from the buckets, so it is attached afterwards (``_content_key_policy``):
        no inline ``policy`` here, because an inline policy and an aws.kms.KeyPolicy would
        overwrite each other. Until then the key has AWS's default policy (account root only).
        """
        return customer_key(
            f"{name}-content-key",
            KeySpec(
                role="content",
                description="static assets and media renditions served by CloudFront",
                deletion_window_days=args.key_deletion_window_days,
                rotation_period_days=args.key_rotation_period_days,
                policy_statements=None,
                protect=args.settings.protect,
                tags=args.tags,
            ),
            args.context,
            self,
        )

    def _content_key_policy(self, name: str, args: ContentDeliveryArgs) -> aws.kms.KeyPolicy:
        """CloudFront may decrypt origin objects for this distribution only.

        With OAC on an SSE-KMS origin, CloudFront calls kms:Decrypt as the service principal
        cloudfront.amazonaws.com with AWS:SourceArn = the distribution's ARN; the key policy
        must allow exactly that ("Restricting access to an Amazon S3 origin", SSE-KMS section,
        Amazon CloudFront Developer Guide,
        https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html).
        The distribution only reads (GET/HEAD), so it gets kms:Decrypt and nothing else.
        """
        ctx = args.context
        document = {
            "Version": "2012-10-17",
            "Statement": [
                # IAM policies in this account (the thumbnailer's rendition writes) decide further use.
                account_root_statement(ctx),
                {
                    "Sid": "AllowThisDistributionToDecryptOrigins",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "kms:Decrypt",
                    # "Resource": "*" in a key policy is the key itself (KMS key policy rules).
                    "Resource": "*",
                    "Condition": {"StringEquals": {"AWS:SourceArn": self.distribution.arn}},
                },
            ],
        }
        return aws.kms.KeyPolicy(
            f"{name}-content-key-policy",
            key_id=self.content_key.id,
            policy=pulumi.Output.json_dumps(document),
            bypass_policy_lockout_safety_check=False,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _uploads_cors(self, name: str, args: ContentDeliveryArgs) -> aws.s3.BucketCorsConfiguration | None:
        """Browsers POST the presigned form straight to the bucket: S3 answers their CORS
        check from this configuration, for exactly the REST API's allowed origins."""
        if not args.upload_origins:
            return None
        return aws.s3.BucketCorsConfiguration(
            f"{name}-uploads-cors",
            bucket=self.uploads.bucket.id,
            cors_rules=[
                aws.s3.BucketCorsConfigurationCorsRuleArgs(
                    id="presigned-post-from-the-app",
                    allowed_methods=["POST"],
                    allowed_origins=list(args.upload_origins),
                    # A multipart/form-data POST sends only CORS-safelisted headers: none to allow.
                    max_age_seconds=3600,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    @staticmethod
    def _cloudfront_read(bucket: SecureBucket, distribution_arn: pulumi.Input[str]) -> dict[str, Any]:
        return {
            "Sid": "AllowThisDistributionOnly",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": pulumi.Output.concat(bucket.arn, "/*"),
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
        }

    def _edge_logs_key(self, name: str, args: ContentDeliveryArgs) -> aws.kms.Key:
        """CloudFront-scope WAF logs must go to a us-east-1 log group, whose KMS key must be in us-east-1 too."""
        ctx = args.context
        log_groups = f"arn:{ctx.partition}:logs:{CLOUDFRONT_REGION}:{ctx.account_id}:log-group:*"
        return customer_key(
            f"{name}-edge-logs-key",
            KeySpec(
                role="edge-logs",
                description=f"CloudWatch Logs in {CLOUDFRONT_REGION} (CloudFront WAF logs)",
                region=CLOUDFRONT_REGION,
                deletion_window_days=args.key_deletion_window_days,
                policy_statements=[logs_statement(ctx, CLOUDFRONT_REGION, log_groups)],
                protect=args.settings.protect,
                tags=args.tags,
            ),
            ctx,
            self,
        )

    def _viewer_certificate(
        self, name: str, args: ContentDeliveryArgs
    ) -> tuple[aws.acm.Certificate | None, aws.cloudfront.DistributionViewerCertificateArgs]:
        settings = args.settings
        if settings.domain_name is None or settings.hosted_zone_id is None:
            # Documented fallback: the *.cloudfront.net certificate. CloudFront then fixes the
            # viewer security policy at TLSv1, which no setting can raise (CloudFront.7/.15 exemption).
            return None, aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True)
        child = pulumi.ResourceOptions(parent=self)
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=settings.domain_name,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            region=CLOUDFRONT_REGION,  # CloudFront takes certificates from us-east-1 only
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False),
        )
        # One domain name, so exactly one validation record (no resources created in an apply).
        options = certificate.domain_validation_options
        record = aws.route53.Record(
            f"{name}-certificate-validation-record",
            zone_id=settings.hosted_zone_id,
            name=options.apply(lambda o: (o[0].resource_record_name or "") if o else ""),
            type=options.apply(lambda o: (o[0].resource_record_type or "CNAME") if o else "CNAME"),
            records=[options.apply(lambda o: (o[0].resource_record_value or "") if o else "")],
            ttl=300,
            allow_overwrite=True,
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            region=CLOUDFRONT_REGION,
            opts=child,
        )
        return certificate, aws.cloudfront.DistributionViewerCertificateArgs(
            acm_certificate_arn=validation.certificate_arn,
            ssl_support_method="sni-only",
            minimum_protocol_version=MINIMUM_TLS,
        )

    def _standard_logging(self, name: str, args: ContentDeliveryArgs) -> None:
        """CloudFront standard logging v2: CloudWatch Logs vended delivery into the logs bucket.

        Legacy standard logging writes with S3 ACLs (the bucket must allow them); v2 delivers
        through the logs service principal and a bucket policy, so the logs bucket keeps ACLs
        disabled. The delivery source for a distribution must be created in us-east-1.
        """
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        source_name = f"{ctx.prefix}-cdn-access"
        prefix = "cloudfront"
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-access-log-source",
            name=source_name,
            log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn,
            region=CLOUDFRONT_REGION,
            tags=dict(args.tags),
            opts=child,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-access-log-destination",
            name=f"{ctx.prefix}-cdn-logs-bucket",
            output_format="parquet",
            delivery_destination_configuration=aws.cloudwatch.LogDeliveryDestinationDeliveryDestinationConfigurationArgs(
                destination_resource_arn=pulumi.Output.concat(self.logs.arn, f"/{prefix}")
            ),
            region=CLOUDFRONT_REGION,
            tags=dict(args.tags),
            opts=child,
        )
        logs_policy = self.logs.attach_policy(
            [
                {
                    "Sid": "AllowS3ServerAccessLogsFromOurBuckets",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(self.logs.arn, "/s3-access/*"),
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": ctx.account_id},
                        "ArnLike": {"aws:SourceArn": [self.static.arn, self.uploads.arn, self.media.arn]},
                    },
                },
                {
                    "Sid": "AllowCloudFrontStandardLoggingV2",
                    "Effect": "Allow",
                    "Principal": {"Service": "delivery.logs.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(self.logs.arn, f"/{prefix}/*"),
                    "Condition": {
                        "StringEquals": {
                            "aws:SourceAccount": ctx.account_id,
                            "s3:x-amz-acl": "bucket-owner-full-control",
                        },
                        "ArnLike": {"aws:SourceArn": source.arn},
                    },
                },
            ]
        )
        # CloudFront developer guide, "Configure standard logging (v2)": delivery.logs.amazonaws.com
        # writes to S3 with aws:SourceArn = the delivery source and the bucket-owner-full-control ACL.
        declare(
            Flow(
                caller="delivery.logs.amazonaws.com",
                action="s3:PutObject",
                resource=pulumi.Output.concat(self.logs.arn, f"/{prefix}/log-object.parquet"),
                context={
                    "aws:SourceArn": source.arn,
                    "aws:SourceAccount": ctx.account_id,
                    "s3:x-amz-acl": "bucket-owner-full-control",
                },
                purpose="CloudFront access logs (standard logging v2)",
                doc="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html",
            )
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-access-log-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            region=CLOUDFRONT_REGION,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_policy]),
        )
