"""The device registry: the registerDevice / unregisterDevice resolver keeps the devices
table and, when push is configured, the SNS endpoints of the own platform applications.
Children of the ``Notifications`` component."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

# The handlers' own contracts (functions/ is on sys.path: see components/__init__.py).
from shared.environment import DevicesEnvironment

from components.notifications_flows import FlowRow, function_flows
from components.notifications_push import PUSH_DOC, PushPlatforms
from components.notifications_tables import NotificationTables
from components.python_function import PythonFunction, PythonFunctionArgs
from offline.flows.model import declare

if TYPE_CHECKING:
    from components.notifications import NotificationsArgs

#: DynamoDB developer guide, "Using identity-based policies (IAM policies) for Amazon DynamoDB".
DYNAMODB_IAM_DOC = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/using-identity-based-policies.html"


def device_registry(
    name: str, args: NotificationsArgs, tables: NotificationTables, push: PushPlatforms, parent: pulumi.Resource
) -> PythonFunction:
    function = PythonFunction(
        f"{name}-devices",
        PythonFunctionArgs(
            source="devices",
            description="registerDevice / unregisterDevice: SNS endpoints and the device registry",
            environment=DevicesEnvironment(devices_table=tables.devices.name, push=push.environment()),
            statements=[
                {
                    "Sid": "DeviceRegistry",
                    "Effect": "Allow",
                    "Action": ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                    "Resource": [tables.devices.arn, tables.devices_index_arn],
                },
                # The table is encrypted with the data key: DynamoDB calls kms:Decrypt with the
                # caller's identity ("How Amazon DynamoDB uses AWS KMS").
                {
                    "Sid": "ReadDeviceTableKey",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": [args.data_key_arn],
                },
                *push.registry_statements(),
            ],
            **args.functions.devices.function_args(),
            **args.function_defaults(),
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    registry = "registerDevice / unregisterDevice keep the device registry"
    rows: list[FlowRow] = [
        (action, resource, registry, DYNAMODB_IAM_DOC)
        for action, resource in (
            ("dynamodb:Query", tables.devices.arn),
            ("dynamodb:Query", tables.devices_index_arn),
            ("dynamodb:GetItem", tables.devices.arn),
            ("dynamodb:PutItem", tables.devices.arn),
            ("dynamodb:DeleteItem", tables.devices.arn),
        )
    ]
    if push.applications:
        endpoint = push.device_endpoint()
        rows += [
            *(
                ("sns:CreatePlatformEndpoint", app.arn, "register a device token", PUSH_DOC)
                for app in push.applications.values()
            ),
            *(
                (action, endpoint, "refresh or remove a device endpoint", PUSH_DOC)
                for action in ("sns:SetEndpointAttributes", "sns:DeleteEndpoint")
            ),
        ]
    declare(*function_flows(function.role.arn, "devices", rows))
    return function
