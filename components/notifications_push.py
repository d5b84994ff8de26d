"""The SNS platform applications for mobile push, only for the credentials that are
configured (APNs token-based, FCM), and the endpoint ARNs the notifier and the device
registry may use. Children of the ``Notifications`` component."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

# The handlers' own contracts (functions/ is on sys.path: see components/__init__.py).
from shared.environment import PlatformApplications

if TYPE_CHECKING:
    from components.notifications import NotificationsArgs

#: SNS developer guide, "Sending mobile push notifications with Amazon SNS": platform
#: applications, device endpoints, and publishing to an endpoint.
PUSH_DOC = "https://docs.aws.amazon.com/sns/latest/dg/sns-mobile-application-as-subscriber.html"


def platform_of(key: str) -> str:
    """SNS's platform segment in an endpoint ARN for a platform-application key."""
    return "GCM" if key == "FCM" else key


@dataclass(frozen=True)
class PushPlatforms:
    #: Platform-application key (APNS / APNS_SANDBOX / FCM) to application; empty: no push.
    applications: dict[str, aws.sns.PlatformApplication]
    #: The device endpoints of each application (``endpoint/<platform>/<app>/*``).
    endpoint_arns: list[pulumi.Output[str]]

    def environment(self) -> PlatformApplications[pulumi.Input[str]]:
        return PlatformApplications.of({key: app.arn for key, app in self.applications.items()})

    def device_endpoint(self) -> pulumi.Output[str]:
        """One device endpoint of the first application (what a runtime flow names)."""
        return pulumi.Output.concat(self.endpoint_arns[0].apply(lambda arn: arn.removesuffix("/*")), "/device")

    def notifier_statements(self, devices_table_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
        """Push to and prune the own endpoints; read and prune the device registry."""
        if not self.applications:
            return []
        return [
            {
                "Sid": "PushAndPruneOwnEndpoints",
                "Effect": "Allow",
                "Action": ["sns:Publish", "sns:GetEndpointAttributes", "sns:DeleteEndpoint"],
                "Resource": self.endpoint_arns,
            },
            {
                "Sid": "ReadAndPruneDeviceRegistry",
                "Effect": "Allow",
                "Action": ["dynamodb:Query", "dynamodb:DeleteItem"],
                "Resource": [devices_table_arn],
            },
        ]

    def registry_statements(self) -> list[dict[str, Any]]:
        """Create endpoints on the own applications; refresh and remove the own endpoints."""
        if not self.applications:
            return []
        return [
            {
                "Sid": "CreateEndpointsOnOwnApplications",
                "Effect": "Allow",
                "Action": ["sns:CreatePlatformEndpoint"],
                "Resource": [app.arn for app in self.applications.values()],
            },
            {
                "Sid": "ManageOwnEndpoints",
                "Effect": "Allow",
                "Action": ["sns:SetEndpointAttributes", "sns:DeleteEndpoint"],
                "Resource": self.endpoint_arns,
            },
        ]


def push_platforms(name: str, args: NotificationsArgs, parent: pulumi.Resource) -> PushPlatforms:
    ctx, settings = args.context, args.settings
    applications: dict[str, aws.sns.PlatformApplication] = {}
    if args.apns_signing_key is not None and settings.apns is not None:
        apns = settings.apns
        platform = "APNS_SANDBOX" if apns.sandbox else "APNS"
        applications[platform] = _platform_application(
            name,
            args,
            parent,
            "apns",
            platform,
            args.apns_signing_key,
            principal=apns.key_id,
            team_id=apns.team_id,
            bundle_id=apns.bundle_id,
        )
    if args.fcm_service_account is not None:
        applications["FCM"] = _platform_application(name, args, parent, "fcm", "GCM", args.fcm_service_account)
    endpoint_arns = [
        pulumi.Output.concat(ctx.arn("sns", "endpoint/"), platform_of(key), "/", app.name, "/*")
        for key, app in applications.items()
    ]
    return PushPlatforms(applications, endpoint_arns)


def _platform_application(
    name: str,
    args: NotificationsArgs,
    parent: pulumi.Resource,
    role: str,
    platform: str,
    credential: pulumi.Output[str],
    *,
    principal: str | None = None,
    team_id: str | None = None,
    bundle_id: str | None = None,
) -> aws.sns.PlatformApplication:
    # SNS needs the credential itself as an input; it stays a Pulumi secret (encrypted in
    # state, masked in output). Secrets Manager keeps the source of truth for rotation.
    return aws.sns.PlatformApplication(
        f"{name}-{role}",
        name=f"{args.context.prefix}-{role}",
        platform=platform,
        platform_credential=pulumi.Output.secret(credential),  # type: ignore[arg-type]
        platform_principal=principal,
        apple_platform_team_id=team_id,
        apple_platform_bundle_id=bundle_id,
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["platformCredential"]),
    )
