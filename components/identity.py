"""Who the app's users are: Cognito user pool, the mobile app client and an identity pool."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.validation import ArgsError, require_choice, require_int_range
from offline.flows.model import Flow, declare

MFA_MODES = ("OFF", "OPTIONAL", "ON")
#: Cognito threat protection (formerly "advanced security"); anything but OFF needs the Plus feature plan.
THREAT_PROTECTION_MODES = ("OFF", "AUDIT", "ENFORCED")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
#: The only flows a mobile app needs: SRP (the password never leaves the device) and refresh.
APP_CLIENT_AUTH_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
#: Session tag that carries the user pool ``sub`` claim into the identity pool's role
#: session (attributes for access control), read in policies as ``${aws:PrincipalTag/sub}``.
SUB_PRINCIPAL_TAG = "sub"


@dataclass(frozen=True, kw_only=True)
class IdentitySettings:
    """The user pool's configurable policy (``<project>:identity`` in the stack config)."""

    #: OFF, OPTIONAL (users may enrol TOTP) or ON (every user must use TOTP).
    mfa_mode: str = "ON"
    #: OFF, AUDIT (log risky sign-ins) or ENFORCED (block / challenge them); not OFF selects the Plus plan.
    threat_protection: str = "ENFORCED"
    password_min_length: int = 12
    temporary_password_validity_days: int = 3
    deletion_protection: bool = True
    #: Pulumi ``protect`` on the user pool: deleting it deletes every account.
    protect: bool = True
    access_token_validity_minutes: int = 60
    id_token_validity_minutes: int = 60
    refresh_token_validity_days: int = 30
    #: Sign-ups only from these email domains (empty: any domain not blocked).
    allowed_email_domains: Sequence[str] = ()
    #: Sign-ups never from these email domains (e.g. disposable-mail providers).
    blocked_email_domains: Sequence[str] = ()

    def __post_init__(self) -> None:
        require_choice("mfa_mode", self.mfa_mode, MFA_MODES)
        require_choice("threat_protection", self.threat_protection, THREAT_PROTECTION_MODES)
        # Cognito's own bounds; below 8 also fails Cognito.3 / cdk-nag COG1.
        require_int_range("password_min_length", self.password_min_length, 8, 99)
        require_int_range("temporary_password_validity_days", self.temporary_password_validity_days, 1, 7)
        # Cognito: access and ID tokens 5 minutes to 1 day, refresh tokens 1 hour to 10 years.
        require_int_range("access_token_validity_minutes", self.access_token_validity_minutes, 5, 1440)
        require_int_range("id_token_validity_minutes", self.id_token_validity_minutes, 5, 1440)
        require_int_range("refresh_token_validity_days", self.refresh_token_validity_days, 1, 3650)
        for name in ("allowed_email_domains", "blocked_email_domains"):
            for index, domain in enumerate(getattr(self, name)):
                if not isinstance(domain, str) or not DOMAIN.match(domain):
                    raise ArgsError(
                        f"{name}[{index}]", f"must be a lowercase domain name such as example.com, got {domain!r}"
                    )
        both = sorted(set(self.allowed_email_domains) & set(self.blocked_email_domains))
        if both:
            raise ArgsError("blocked_email_domains", f"{', '.join(both)} is both allowed and blocked")

    @property
    def user_pool_tier(self) -> str:
        return "ESSENTIALS" if self.threat_protection == "OFF" else "PLUS"


@dataclass(frozen=True, kw_only=True)
class IdentityArgs:
    context: DeploymentContext
    settings: IdentitySettings
    #: The auth_triggers function (pre sign-up and post confirmation).
    trigger_function_arn: pulumi.Input[str]
    trigger_function_name: pulumi.Input[str]
    #: The media uploads bucket; None grants the identity pool's users nothing in S3.
    uploads_bucket_arn: pulumi.Input[str] | None = None
    #: The uploads bucket's default (SSE-KMS) key; required with ``uploads_bucket_arn``.
    uploads_key_arn: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.uploads_bucket_arn is None) != (self.uploads_key_arn is None):
            raise ArgsError("uploads_key_arn", "pass the uploads bucket and its KMS key together")


class Identity(pulumi.ComponentResource):
    """Cognito user pool (email sign-in, MFA, threat protection, triggers), the mobile app
    client, and an identity pool for signed-in users only whose role reaches nothing but
    the user's own ``uploads/<user pool sub>/`` prefix — the prefix upload_url issues and
    the thumbnailer reads. The identity pool maps the token's ``sub`` claim to a session
    tag (attributes for access control), because ``cognito-identity.amazonaws.com:sub`` is
    the identity id, a different value.

    No custom attributes: profile data (handle, display name) lives in the graph, owned by
    the graph API. Custom attributes can never be removed or renamed, and one the app
    client may write would be user-controlled data inside the ID token.
    """

    user_pool: aws.cognito.UserPool
    client: aws.cognito.UserPoolClient
    identity_pool: aws.cognito.IdentityPool
    authenticated_role: aws.iam.Role
    principal_tags: aws.cognito.IdentityPoolProviderPrincipalTag

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:identity:Identity", name, None, opts)
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        mfa_on = settings.mfa_mode != "OFF"

        self.user_pool = aws.cognito.UserPool(
            f"{name}-user-pool",
            name=f"{ctx.prefix}-users",
            username_attributes=["email"],
            username_configuration=aws.cognito.UserPoolUsernameConfigurationArgs(case_sensitive=False),
            auto_verified_attributes=["email"],
            # A changed email takes effect only once the new address is verified.
            user_attribute_update_settings=aws.cognito.UserPoolUserAttributeUpdateSettingsArgs(
                attributes_require_verification_before_updates=["email"]
            ),
            verification_message_template=aws.cognito.UserPoolVerificationMessageTemplateArgs(
                default_email_option="CONFIRM_WITH_CODE"
            ),
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(allow_admin_create_user_only=False),
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=settings.password_min_length,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=True,
                temporary_password_validity_days=settings.temporary_password_validity_days,
            ),
            mfa_configuration=settings.mfa_mode,
            # TOTP only: SMS MFA is phishable and needs an SNS role and spend limits.
            software_token_mfa_configuration=(
                aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True) if mfa_on else None
            ),
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
                recovery_mechanisms=[
                    aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(name="verified_email", priority=1)
                ]
            ),
            user_pool_tier=settings.user_pool_tier,
            user_pool_add_ons=aws.cognito.UserPoolUserPoolAddOnsArgs(advanced_security_mode=settings.threat_protection),
            deletion_protection="ACTIVE" if settings.deletion_protection else "INACTIVE",
            lambda_config=aws.cognito.UserPoolLambdaConfigArgs(
                pre_sign_up=args.trigger_function_arn, post_confirmation=args.trigger_function_arn
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect),
        )
        # Both triggers are the same function: one permission, for this pool of this account only.
        aws.lambda_.Permission(
            f"{name}-triggers-invoke",
            action="lambda:InvokeFunction",
            function=args.trigger_function_name,
            principal="cognito-idp.amazonaws.com",
            source_arn=self.user_pool.arn,
            source_account=ctx.account_id,
            opts=child,
        )
        self.client = aws.cognito.UserPoolClient(
            f"{name}-app-client",
            name=f"{ctx.prefix}-mobile",
            user_pool_id=self.user_pool.id,
            # A mobile app cannot keep a secret; SRP proves the password without sending it.
            generate_secret=False,
            explicit_auth_flows=list(APP_CLIENT_AUTH_FLOWS),
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=settings.access_token_validity_minutes,
            id_token_validity=settings.id_token_validity_minutes,
            refresh_token_validity=settings.refresh_token_validity_days,
            token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
                access_token="minutes",  # noqa: S106 - token lifetime units, not secrets
                id_token="minutes",  # noqa: S106
                refresh_token="days",  # noqa: S106
            ),
            auth_session_validity=3,
            # No hosted UI / OAuth: the app signs in through the Cognito API (SRP).
            allowed_oauth_flows_user_pool_client=False,
            read_attributes=["email", "email_verified"],
            write_attributes=["email"],
            opts=child,
        )

        provider_name = pulumi.Output.concat("cognito-idp.", ctx.region, ".", ctx.dns_suffix, "/", self.user_pool.id)
        self.identity_pool = aws.cognito.IdentityPool(
            f"{name}-identity-pool",
            # Identity pool names allow word characters and spaces only.
            identity_pool_name=f"{ctx.prefix.replace('-', '_')}_identities",
            allow_unauthenticated_identities=False,
            # Basic (classic) flow hands the client a role choice: enhanced flow only.
            allow_classic_flow=False,
            cognito_identity_providers=[
                aws.cognito.IdentityPoolCognitoIdentityProviderArgs(
                    client_id=self.client.id,
                    provider_name=provider_name,
                    # Cognito checks with the user pool that the token is still valid (not revoked).
                    server_side_token_check=True,
                )
            ],
            tags=dict(args.tags),
            opts=child,
        )
        # Attributes for access control: Cognito tags the role session with the user pool
        # token's ``sub`` claim, so policies can name ``${aws:PrincipalTag/sub}``; the role's
        # trust policy must then also allow sts:TagSession ("Using attributes for access
        # control", Amazon Cognito Developer Guide,
        # https://docs.aws.amazon.com/cognito/latest/developerguide/attributes-for-access-control.html).
        self.principal_tags = aws.cognito.IdentityPoolProviderPrincipalTag(
            f"{name}-principal-tags",
            identity_pool_id=self.identity_pool.id,
            identity_provider_name=provider_name,
            use_defaults=False,
            principal_tags={SUB_PRINCIPAL_TAG: "sub"},
            opts=child,
        )
        self.authenticated_role = aws.iam.Role(
            f"{name}-authenticated-role",
            description=f"Signed-in users of {ctx.prefix} through the identity pool",
            # Web-identity federation: the audience and amr conditions bind the role to
            # this pool's signed-in identities (aws:SourceAccount does not apply here).
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "SignedInIdentitiesOfThisPoolOnly",
                            "Effect": "Allow",
                            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                            # TagSession: the session carries the principal tags mapped above.
                            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                            "Condition": {
                                "StringEquals": {"cognito-identity.amazonaws.com:aud": self.identity_pool.id},
                                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                            },
                        }
                    ],
                }
            ),
            tags=dict(args.tags),
            opts=child,
        )
        if args.uploads_bucket_arn is not None and args.uploads_key_arn is not None:
            policy = aws.iam.Policy(
                f"{name}-authenticated-policy",
                description="Signed-in users upload only under their own uploads/ prefix",
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "UploadToOwnPrefix",
                                "Effect": "Allow",
                                "Action": ["s3:PutObject"],
                                # The session tag (the user pool sub), resolved per caller by AWS.
                                "Resource": [
                                    pulumi.Output.concat(
                                        args.uploads_bucket_arn, f"/uploads/${{aws:PrincipalTag/{SUB_PRINCIPAL_TAG}}}/*"
                                    )
                                ],
                            },
                            {
                                # SSE-KMS PutObject: S3 asks KMS for a data key as the caller.
                                "Sid": "EncryptUploadsThroughS3",
                                "Effect": "Allow",
                                "Action": ["kms:GenerateDataKey"],
                                "Resource": [args.uploads_key_arn],
                                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{ctx.region}.{ctx.dns_suffix}"}},
                            },
                        ],
                    }
                ),
                tags=dict(args.tags),
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-authenticated-policy-attach",
                role=self.authenticated_role.name,
                policy_arn=policy.arn,
                opts=child,
            )
        # Runtime flows (offline/flows evaluates them). Cognito user pools invoke triggers as
        # cognito-idp.amazonaws.com with aws:SourceArn = the user pool ("Customizing user pool
        # workflows with Lambda triggers").
        flows = [
            Flow(
                caller="cognito-idp.amazonaws.com",
                action="lambda:InvokeFunction",
                resource=args.trigger_function_arn,
                context={"aws:SourceArn": self.user_pool.arn, "aws:SourceAccount": ctx.account_id},
                purpose="pre sign-up and post confirmation triggers",
                doc="https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html",
            )
        ]
        if args.uploads_bucket_arn is not None:
            # A signed-in user uploads under uploads/<user-pool sub>/ (the prefix the thumbnailer
            # reads the owner from). The identity pool's credentials carry the identity id as
            # cognito-identity.amazonaws.com:sub, and the user-pool claims mapped as principal
            # tags ("Using attributes for access control" in the Cognito identity pools guide).
            flows.append(
                Flow(
                    caller=self.authenticated_role.arn,
                    action="s3:PutObject",
                    resource=pulumi.Output.concat(args.uploads_bucket_arn, "/uploads/user-pool-sub/object.jpg"),
                    context={
                        "cognito-identity.amazonaws.com:sub": f"{ctx.region}:identity-id",
                        "aws:PrincipalTag/sub": "user-pool-sub",
                    },
                    purpose="a signed-in user uploads a photo under their own prefix",
                    doc="https://docs.aws.amazon.com/cognito/latest/developerguide/attributes-for-access-control.html",
                )
            )
        declare(*flows)
        aws.cognito.IdentityPoolRoleAttachment(
            f"{name}-identity-pool-roles",
            identity_pool_id=self.identity_pool.id,
            roles={"authenticated": self.authenticated_role.arn},
            opts=child,
        )
        self.register_outputs(
            {
                "userPoolId": self.user_pool.id,
                "userPoolClientId": self.client.id,
                "identityPoolId": self.identity_pool.id,
            }
        )
