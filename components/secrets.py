"""Secrets Manager secrets for third-party credentials, encrypted with the data key.

A value comes from ``pulumi config set --secret`` (a Pulumi secret Output) and stays one.
No function reads these secrets: SNS platform applications receive the credential when
they are created (``PlatformCredential``), so the readers are operators verifying or
rotating one. Each secret's resource policy denies any access without TLS and grants
nothing: a read needs the reader's own IAM policy and the data key, so only this account's
principals can ever read. With ``reader_arns`` it also denies reads to every other
principal of the account; without, it denies nobody (a deny with no exception would lock
out everyone, operators included). ``block_public_policy`` makes Secrets Manager refuse a
policy that would grant public access.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.validation import ArgsError, require_int_range

SECRET_ROLE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
#: An IAM role ARN (``aws:PrincipalArn`` of an assumed-role session is its role's ARN).
ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


@dataclass(frozen=True, kw_only=True)
class SecretsSettings:
    #: Days Secrets Manager keeps a deleted secret recoverable (7-30).
    recovery_window_days: int = 30
    #: IAM roles that alone may read the values (GetSecretValue); empty: reads are left to
    #: IAM and the data key, within this account.
    reader_arns: Sequence[str] = ()

    def __post_init__(self) -> None:
        require_int_range("recovery_window_days", self.recovery_window_days, 7, 30)
        for index, arn in enumerate(self.reader_arns):
            if not ROLE_ARN.match(arn):
                raise ArgsError(
                    f"reader_arns[{index}]",
                    f"must be an IAM role ARN such as arn:aws:iam::123456789012:role/operator, got {arn!r}",
                )


@dataclass(frozen=True, kw_only=True)
class SecretsArgs:
    context: DeploymentContext
    settings: SecretsSettings = field(default_factory=SecretsSettings)
    #: Role (``apns-signing-key``) -> the secret value, a Pulumi secret from config.
    values: Mapping[str, pulumi.Output[str]]
    #: Readers besides ``settings.reader_arns`` (roles the program creates); with any
    #: reader named, everyone else is denied GetSecretValue.
    reader_arns: Sequence[pulumi.Input[str]] = ()
    data_key_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for role in self.values:
            if not SECRET_ROLE.match(role):
                raise ArgsError("values", f"secret role {role!r} must be lowercase words joined by hyphens")


class Secrets(pulumi.ComponentResource):
    secrets: dict[str, aws.secretsmanager.Secret]
    versions: dict[str, aws.secretsmanager.SecretVersion]

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:secrets:Secrets", name, None, opts)
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        self.secrets, self.versions = {}, {}
        for role, value in sorted(args.values.items()):
            secret = aws.secretsmanager.Secret(
                f"{name}-{role}",
                name=f"{ctx.prefix}/{role}",
                description=f"{ctx.prefix}: {role} (set with pulumi config set --secret)",
                kms_key_id=args.data_key_arn,
                recovery_window_in_days=args.settings.recovery_window_days,
                tags=dict(args.tags),
                opts=child,
            )
            self.versions[role] = aws.secretsmanager.SecretVersion(
                f"{name}-{role}-value",
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(value),  # type: ignore[arg-type]  # the SDK types secret() narrowly
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["secretString"]),
            )
            readers: list[pulumi.Input[str]] = [*args.settings.reader_arns, *args.reader_arns]
            deny_reads: list[dict[str, object]] = (
                [
                    {
                        "Sid": "DenyReadsExceptNamedReaders",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "*",  # in a resource policy, "*" means this secret
                        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": readers}},
                    }
                ]
                if readers
                else []
            )
            aws.secretsmanager.SecretPolicy(
                f"{name}-{role}-policy",
                secret_arn=secret.arn,
                block_public_policy=True,
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyWithoutTls",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "secretsmanager:*",
                                "Resource": "*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            },
                            *deny_reads,
                        ],
                    }
                ),
                opts=child,
            )
            self.secrets[role] = secret
        self.register_outputs({"secretArns": {role: s.arn for role, s in self.secrets.items()}})
