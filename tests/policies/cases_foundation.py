"""Table rows for the resource policies of today's types: Neptune, KMS, VPC, logs, IAM."""

from __future__ import annotations

import json

from tests.policies.conftest import UNKNOWN_BOOL, Case

NEPTUNE = "aws:neptune/cluster:Cluster"
INSTANCE = "aws:neptune/clusterInstance:ClusterInstance"
KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"

CLUSTER_OK = {
    "engine": "neptune",
    "storageEncrypted": True,
    "kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/k",
    "enableCloudwatchLogsExports": ["audit"],
    "deletionProtection": True,
    "backupRetentionPeriod": 7.0,
    "iamDatabaseAuthenticationEnabled": True,
    "copyTagsToSnapshot": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "graph-final",
}

KEY_POLICY_DOC = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:*"}
                },
            },
        ],
    }
)
PUBLIC_KEY_POLICY = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}
)
UNSCOPED_SERVICE_POLICY = json.dumps(
    {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*"}
        ]
    }
)

ROLE_POLICY_OK = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
            },
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
        ],
    }
)


def _doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TRUST_OK = _doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})

ENDPOINT_POLICY_OK = _doc(
    {
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::media/*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
    }
)

CASES: list[Case] = [
    # -- Neptune -------------------------------------------------------------------
    Case(
        "neptune-cluster-storage-encrypted",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"storageEncrypted": False},),
        missing=("storageEncrypted",),
        unknown=("storageEncrypted",),
    ),
    Case("neptune-cluster-cmk", NEPTUNE, CLUSTER_OK, bad=({"kmsKeyArn": ""},), missing=("kmsKeyArn",)),
    Case(
        "neptune-cluster-audit-log-export",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"enableCloudwatchLogsExports": ["slowquery"]},),
        missing=("enableCloudwatchLogsExports",),
        unknown=("enableCloudwatchLogsExports",),
    ),
    Case(
        "neptune-cluster-deletion-protection",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"deletionProtection": False},),
        missing=("deletionProtection",),
        unknown=("deletionProtection",),
    ),
    Case(
        "neptune-cluster-backup-retention",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"backupRetentionPeriod": 1.0},),
        missing=("backupRetentionPeriod",),
        unknown=("backupRetentionPeriod",),
    ),
    Case(
        "neptune-cluster-backup-retention",
        NEPTUNE,
        {**CLUSTER_OK, "backupRetentionPeriod": 14.0},
        bad=({"backupRetentionPeriod": 10.0},),
        config={"minimumRetentionDays": 14},
    ),
    Case(
        "neptune-cluster-iam-auth",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"iamDatabaseAuthenticationEnabled": False},),
        missing=("iamDatabaseAuthenticationEnabled",),
        unknown=("iamDatabaseAuthenticationEnabled",),
    ),
    Case(
        "neptune-cluster-copy-tags-to-snapshot",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"copyTagsToSnapshot": False},),
        missing=("copyTagsToSnapshot",),
    ),
    Case(
        "neptune-cluster-final-snapshot",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"skipFinalSnapshot": True},),
        missing=("finalSnapshotIdentifier",),
        unknown=("skipFinalSnapshot",),
    ),
    Case(
        "neptune-instance-auto-minor-upgrade",
        INSTANCE,
        {"autoMinorVersionUpgrade": True},
        bad=({"autoMinorVersionUpgrade": False},),
        missing=("autoMinorVersionUpgrade",),
    ),
    Case(
        "neptune-instance-not-public",
        INSTANCE,
        {"publiclyAccessible": False},
        bad=({"publiclyAccessible": True},),
        missing=("publiclyAccessible",),
        unknown=("publiclyAccessible",),
    ),
    # -- KMS -------------------------------------------------------------------------
    Case(
        "kms-key-rotation",
        KEY,
        {"enableKeyRotation": True, "rotationPeriodInDays": 365.0},
        bad=({"enableKeyRotation": False}, {"rotationPeriodInDays": 730.0}),
        missing=("enableKeyRotation",),
        optional=("rotationPeriodInDays",),
        unknown=("enableKeyRotation",),
    ),
    Case("kms-key-rotation", KEY, {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
    Case(
        "kms-key-rotation",
        KEY,
        {"enableKeyRotation": True, "rotationPeriodInDays": 180.0},
        bad=({"rotationPeriodInDays": 200.0},),
        config={"maximumRotationDays": 180},
    ),
    Case(
        "kms-key-policy-no-public-principal",
        KEY,
        {"policy": KEY_POLICY_DOC},
        bad=({"policy": PUBLIC_KEY_POLICY}, {"policy": "{not json"}),
        optional=("policy",),
        unknown=("policy",),
    ),
    Case(
        "kms-key-policy-no-public-principal",
        KEY_POLICY,
        {"policy": KEY_POLICY_DOC, "keyId": "k"},
        bad=({"policy": PUBLIC_KEY_POLICY},),
    ),
    Case(
        "kms-key-policy-service-principals-scoped",
        KEY,
        {"policy": KEY_POLICY_DOC},
        bad=({"policy": UNSCOPED_SERVICE_POLICY},),
        optional=("policy",),
        unknown=("policy",),
    ),
    Case(
        "kms-key-no-lockout-bypass",
        KEY,
        {"bypassPolicyLockoutSafetyCheck": False},
        bad=({"bypassPolicyLockoutSafetyCheck": True},),
        optional=("bypassPolicyLockoutSafetyCheck",),
        unknown=("bypassPolicyLockoutSafetyCheck",),
    ),
    Case(
        "kms-key-deletion-window",
        KEY,
        {"deletionWindowInDays": 30.0},
        bad=({"deletionWindowInDays": 7.0},),
        optional=("deletionWindowInDays",),
        unknown=("deletionWindowInDays",),
    ),
    Case(
        "kms-key-enabled",
        KEY,
        {"isEnabled": True},
        bad=({"isEnabled": False},),
        optional=("isEnabled",),
        unknown=("isEnabled",),
    ),
    # -- VPC ---------------------------------------------------------------------------
    Case(
        "vpc-subnet-no-public-ip",
        "aws:ec2/subnet:Subnet",
        {"mapPublicIpOnLaunch": False},
        bad=({"mapPublicIpOnLaunch": True},),
        optional=("mapPublicIpOnLaunch",),
        unknown=("mapPublicIpOnLaunch",),
    ),
    Case(
        "sg-no-public-ingress",
        INGRESS,
        {"referencedSecurityGroupId": "sg-1", "fromPort": 8182.0, "toPort": 8182.0},
        bad=({"cidrIpv4": "0.0.0.0/0"}, {"cidrIpv6": "::/0"}),
        unknown=("cidrIpv4",),
    ),
    Case(
        "sg-no-public-ingress",
        SG,
        {"ingress": [{"securityGroups": ["sg-1"], "fromPort": 443, "toPort": 443}]},
        bad=({"ingress.0.cidrBlocks": ["0.0.0.0/0"]},),
    ),
    Case(
        "sg-no-public-ingress",
        SG_RULE,
        {"type": "ingress", "sourceSecurityGroupId": "sg-1"},
        bad=({"cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"]},),
    ),
    Case(
        "sg-no-unrestricted-egress",
        EGRESS,
        {"prefixListId": "pl-1", "ipProtocol": "tcp"},
        bad=({"cidrIpv4": "0.0.0.0/0"},),
        unknown=("cidrIpv4",),
    ),
    Case(
        "sg-no-unrestricted-egress",
        SG,
        {"egress": []},
        bad=({"egress": [{"cidrBlocks": ["0.0.0.0/0"], "protocol": "-1"}]},),
    ),
    Case(
        "sg-no-unrestricted-egress",
        SG_RULE,
        {"type": "egress", "prefixListIds": ["pl-1"]},
        bad=({"ipv6CidrBlocks": ["::/0"]},),
    ),
    Case(
        "sg-descriptions",
        SG,
        {"description": "Neptune cluster"},
        bad=({"description": "Managed by Pulumi"}, {"ingress": [{"fromPort": 1}]}),
        missing=("description",),
    ),
    Case("sg-descriptions", INGRESS, {"description": "from lambda"}, missing=("description",)),
    Case(
        "nacl-no-public-admin-ingress",
        "aws:ec2/networkAclRule:NetworkAclRule",
        {
            "ruleAction": "allow",
            "cidrBlock": "10.0.0.0/16",
            "fromPort": 22.0,
            "toPort": 22.0,
            "protocol": "tcp",
            "egress": False,
        },
        bad=({"cidrBlock": "0.0.0.0/0"},),
        unknown=("cidrBlock",),
    ),
    Case(
        "nacl-no-public-admin-ingress",
        "aws:ec2/networkAcl:NetworkAcl",
        {"ingress": [{"action": "allow", "cidrBlock": "0.0.0.0/0", "fromPort": 443, "toPort": 443, "protocol": "tcp"}]},
        bad=({"ingress.0.fromPort": 0, "ingress.0.toPort": 65535},),
    ),
    Case(
        "vpc-block-public-access",
        "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions",
        {"internetGatewayBlockMode": "block-bidirectional"},
        bad=({"internetGatewayBlockMode": "off"},),
        missing=("internetGatewayBlockMode",),
    ),
    Case(
        "vpc-interface-endpoint-private",
        ENDPOINT,
        {"vpcEndpointType": "Interface", "privateDnsEnabled": True, "securityGroupIds": ["sg-1"], "subnetIds": ["s-1"]},
        bad=({"privateDnsEnabled": False}, {"securityGroupIds": []}),
        missing=("privateDnsEnabled", "subnetIds"),
        unknown=("privateDnsEnabled",),
    ),
    Case("vpc-interface-endpoint-private", ENDPOINT, {"vpcEndpointType": "Gateway"}),
    Case(
        "vpc-endpoint-policy-restrictive",
        ENDPOINT,
        {"vpcEndpointType": "Gateway", "policy": ENDPOINT_POLICY_OK},
        bad=({"policy": _doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})},),
        missing=("policy",),
        unknown=("policy",),
    ),
    # -- CloudWatch Logs ---------------------------------------------------------------
    Case(
        "log-group-kms",
        LOG_GROUP,
        {"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"},
        bad=({"kmsKeyId": ""},),
        missing=("kmsKeyId",),
    ),
    Case(
        "log-group-retention",
        LOG_GROUP,
        {"retentionInDays": 365.0},
        bad=({"retentionInDays": 30.0},),
        missing=("retentionInDays",),
        unknown=("retentionInDays",),
    ),
    Case("log-group-retention", LOG_GROUP, {"retentionInDays": 0.0}),
    Case(
        "log-group-retention",
        LOG_GROUP,
        {"retentionInDays": 14.0},
        bad=({"retentionInDays": 3.0},),
        config={"minimumRetentionDays": 7},
    ),
    # -- IAM -------------------------------------------------------------------------------
    Case(
        "iam-no-admin-statements",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=({"policy": _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})},),
        unknown=("policy",),
    ),
    Case(
        "iam-no-wildcard-actions",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=(
            {"policy": _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"})},
            {"policy": _doc({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"})},
            {"policy": _doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-known-actions",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=(
            {
                "policy": _doc(
                    {
                        "Effect": "Allow",
                        "Action": "dynamodb:GetItems",
                        "Resource": "arn:aws:dynamodb:eu-west-1:1:table/t",
                    }
                )
            },
            {"policy": _doc({"Effect": "Allow", "Action": "nosuchservice:Do", "Resource": "*"})},
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-no-wildcard-resource",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=(
            {"policy": _doc({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"})},
            {
                "policy": _doc(
                    {"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": "arn:aws:sqs:eu-west-1:1:q"}
                )
            },
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-no-wildcard-resource",
        "aws:iam/policy:Policy",
        {"policy": ROLE_POLICY_OK},
        bad=({"policy": _doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})},),
    ),
    Case(
        "iam-no-wildcard-resource",
        ROLE,
        {"inlinePolicies": [{"name": "p", "policy": ROLE_POLICY_OK}]},
        bad=({"inlinePolicies.0.policy": _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})},),
    ),
    Case(
        "iam-no-kms-decrypt-all-keys",
        ROLE_POLICY,
        {"policy": _doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:1:key/k"})},
        bad=(
            {"policy": _doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})},
            {"policy": _doc({"Effect": "Allow", "Action": "kms:ReEncrypt*", "Resource": "*"})},
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-no-privilege-escalation",
        ROLE_POLICY,
        {
            "policy": _doc(
                {
                    "Effect": "Allow",
                    "Action": "lambda:InvokeFunction",
                    "Resource": "arn:aws:lambda:eu-west-1:1:function:graph-api",
                }
            )
        },
        bad=(
            {"policy": _doc({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"})},
            {
                "policy": _doc(
                    {
                        "Effect": "Allow",
                        "Action": "lambda:CreateFunction",
                        "Resource": "arn:aws:lambda:eu-west-1:1:function:x",
                    },
                    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/admin"},
                )
            },
            {"policy": _doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::1:role/other"})},
        ),
    ),
    Case(
        "iam-no-privilege-escalation",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=(
            {"policy": _doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/r"})},
            {"policy": _doc({"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::1:user/u"})},
            {"policy": _doc({"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "*"})},
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-no-privilege-escalation",
        ROLE_POLICY,
        {"policy": _doc({"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::mine"})},
    ),
    Case(
        "iam-no-aws-managed-policies",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"policyArn": "arn:aws:iam::123456789012:policy/mine", "role": "r"},
        bad=({"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},),
        unknown=("policyArn",),
    ),
    Case(
        "iam-no-aws-managed-policies",
        ROLE,
        {"managedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]},
        config={"allowedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]},
        bad=({"managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},),
    ),
    Case(
        "iam-no-inline-policies",
        ROLE,
        {"inlinePolicies": []},
        bad=({"inlinePolicies": [{"name": "x", "policy": ROLE_POLICY_OK}]},),
    ),
    Case(
        "iam-role-trust-specific",
        ROLE,
        {"assumeRolePolicy": TRUST_OK},
        bad=(
            {"assumeRolePolicy": _doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
            {
                "assumeRolePolicy": _doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                    }
                )
            },
            {
                "assumeRolePolicy": _doc(
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:*"}
                )
            },
        ),
        missing=("assumeRolePolicy",),
        unknown=("assumeRolePolicy",),
    ),
    Case(
        "iam-no-user-policies",
        "aws:iam/policyAttachment:PolicyAttachment",
        {"roles": ["r"], "policyArn": "arn:aws:iam::1:policy/p"},
        bad=({"users": ["u"]},),
    ),
    Case(
        "iam-account-password-policy",
        "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
        {
            "minimumPasswordLength": 14.0,
            "requireLowercaseCharacters": True,
            "requireUppercaseCharacters": True,
            "requireNumbers": True,
            "requireSymbols": True,
            "passwordReusePrevention": 24.0,
            "maxPasswordAge": 90.0,
        },
        bad=({"minimumPasswordLength": 8.0}, {"requireSymbols": False}, {"maxPasswordAge": 365.0}),
        missing=("passwordReusePrevention", "requireNumbers"),
        unknown=("minimumPasswordLength",),
    ),
]

ALWAYS_VIOLATING: list[tuple[str, str]] = [
    ("vpc-no-default-vpc", "aws:ec2/defaultVpc:DefaultVpc"),
    ("iam-no-user-policies", "aws:iam/userPolicyAttachment:UserPolicyAttachment"),
    ("iam-no-users", "aws:iam/user:User"),
    ("iam-no-users", "aws:iam/accessKey:AccessKey"),
    ("iam-no-inline-policies", ROLE_POLICY),
]

UNKNOWN_BOOL_CASES = [("neptune-cluster-storage-encrypted", NEPTUNE, {**CLUSTER_OK, "storageEncrypted": UNKNOWN_BOOL})]
