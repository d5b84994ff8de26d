"""Stack policies for the services later issues add (the section-7 joins)."""

from __future__ import annotations

import json

from tests.policies.conftest import UNKNOWN, R, validate_stack

BUCKET = "aws:s3/bucket:Bucket"
FN = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
RP = "aws:iam/rolePolicy:RolePolicy"
API = "aws:appsync/graphQLApi:GraphQLApi"
STAGE = "aws:apigateway/stage:Stage"
ACL = "aws:wafv2/webAcl:WebAcl"
ASSOC = "aws:wafv2/webAclAssociation:WebAclAssociation"
DIST = "aws:cloudfront/distribution:Distribution"
TOPIC = "aws:sns/topic:Topic"
KEY = "aws:kms/key:Key"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


#: The groups checkov's CKV2_AWS_47/77/78 require on an attached ACL (Log4j and anonymous sources).
REQUIRED_GROUPS = ("AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAnonymousIpList")


def acl(name: str = "acl", scope: str = "REGIONAL", groups: tuple[str, ...] = REQUIRED_GROUPS) -> R:
    rules = [{"name": g, "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": g}}} for g in groups]
    return R(ACL, name, {"scope": scope, "rules": rules})


class TestWafAssociations:
    def test_api_and_stage_associated(self) -> None:
        resources = [
            R(API, "api", {}),
            R(STAGE, "stage", {}),
            acl(),
            R(
                ASSOC,
                "api-waf",
                {"resourceArn": "x", "webAclArn": "y"},
                deps={"resourceArn": ["api"], "webAclArn": ["acl"]},
            ),
            R(
                ASSOC,
                "stage-waf",
                {"resourceArn": "x", "webAclArn": "y"},
                deps={"resourceArn": ["stage"], "webAclArn": ["acl"]},
            ),
        ]
        assert validate_stack("waf-protects-public-apis", resources) == []

    def test_missing_association_is_reported_per_resource(self) -> None:
        found = validate_stack("waf-protects-public-apis", [R(API, "api", {}), R(STAGE, "stage", {}), acl()])
        assert {f.urn for f in found} == {R(API, "api").urn, R(STAGE, "stage").urn}

    def test_wrong_scope_or_missing_rule_group(self) -> None:
        for bad_acl in (
            acl(scope="CLOUDFRONT"),
            acl(groups=()),
            acl(groups=("AWSManagedRulesKnownBadInputsRuleSet",)),
            acl(groups=("AWSManagedRulesAnonymousIpList",)),
        ):
            resources = [
                R(API, "api", {}),
                bad_acl,
                R(ASSOC, "a", {}, deps={"resourceArn": ["api"], "webAclArn": ["acl"]}),
            ]
            assert validate_stack("waf-protects-public-apis", resources)

    def test_distribution_needs_cloudfront_acl(self) -> None:
        dist = R(DIST, "cdn", {"webAclId": UNKNOWN}, deps={"webAclId": ["edge"]})
        assert validate_stack("waf-protects-public-apis", [dist, acl("edge", scope="CLOUDFRONT")]) == []
        assert validate_stack("waf-protects-public-apis", [R(DIST, "cdn", {})])


def lambda_stack(policy: str, *, with_deps: bool = True) -> list[R]:
    return [
        R("aws:dynamodb/table:Table", "devices", {"name": "devices-abc"}),
        R(
            ROLE,
            "fn-role",
            {
                "assumeRolePolicy": doc(
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                )
            },
        ),
        R(FN, "fn", {"role": "arn:aws:iam::1:role/fn-role"}, deps={"role": ["fn-role"]}),
        R(
            RP,
            "fn-policy",
            {"role": "fn-role", "policy": policy},
            deps={"role": ["fn-role"], "policy": ["devices"] if with_deps else []},
        ),
    ]


class TestWorkloadRoles:
    SCOPED = doc(
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem"],
            "Resource": "arn:aws:dynamodb:eu-west-1:1:table/devices-abc",
        },
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"},
    )

    def test_statements_on_stack_resources_pass(self) -> None:
        assert validate_stack("workload-roles-scoped-to-stack", lambda_stack(self.SCOPED)) == []

    def test_wildcard_role_statement_is_caught(self) -> None:
        policy = doc({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
        messages = [f.message for f in validate_stack("workload-roles-scoped-to-stack", lambda_stack(policy))]
        assert any("wildcard action dynamodb:*" in m for m in messages)

    def test_foreign_resource_is_caught(self) -> None:
        policy = doc(
            {
                "Effect": "Allow",
                "Action": "dynamodb:GetItem",
                "Resource": "arn:aws:dynamodb:eu-west-1:1:table/someone-elses",
            }
        )
        found = validate_stack("workload-roles-scoped-to-stack", lambda_stack(policy))
        assert "not derived from a resource of this stack" in found[0].message

    def test_service_roles_are_judged_too(self) -> None:
        """Not only functions' roles: a flow-log (or trail, Config, scheduler, AppSync...) role that names
        another stack's log group is the same regression (issue 12)."""
        trust = doc(
            {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}
        )

        def flow_log_stack(resource: str) -> list[R]:
            statement: dict[str, object] = {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": resource}
            return [
                R("aws:cloudwatch/logGroup:LogGroup", "flow-logs", {"name": "vpc-flow-logs-abc"}),
                R(ROLE, "flow-log-role", {"assumeRolePolicy": trust}),
                R(
                    RP,
                    "flow-log-policy",
                    {"role": "flow-log-role", "policy": doc(statement)},
                    deps={"role": ["flow-log-role"], "policy": ["flow-logs"]},
                ),
            ]

        own = flow_log_stack("arn:aws:logs:eu-west-1:1:log-group:vpc-flow-logs-abc:*")
        assert validate_stack("workload-roles-scoped-to-stack", own) == []
        foreign = flow_log_stack("arn:aws:logs:eu-west-1:1:log-group:someone-elses:*")
        (found,) = validate_stack("workload-roles-scoped-to-stack", foreign)
        assert "flow-log-role" in found.message and "not derived from a resource of this stack" in found.message

    def test_unknown_document_fails_closed(self) -> None:
        assert validate_stack("workload-roles-scoped-to-stack", lambda_stack(UNKNOWN)) == []
        found = [
            f
            for f in validate_stack("preview-unknown-security-inputs", lambda_stack(UNKNOWN))
            if f.message.startswith("workload-roles-scoped-to-stack:")
        ]
        assert found and "cannot be verified" in found[0].message
        assert found[0].urn == R(RP, "fn-policy").urn


class TestOriginBucket:
    def _stack(self, policy: object, deps: list[str] | None = None) -> list[R]:
        return [
            R(BUCKET, "static", {"bucket": "static-abc"}),
            R(
                DIST,
                "cdn",
                {"origins": [{"originId": "s", "domainName": "static-abc.s3.eu-west-1.amazonaws.com"}]},
                deps={"origins": ["static"]},
            ),
            R(
                "aws:s3/bucketPolicy:BucketPolicy",
                "static-policy",
                {"bucket": "static-abc", "policy": policy},
                deps={"bucket": ["static"], "policy": deps if deps is not None else ["cdn", "static"]},
            ),
        ]

    GOOD = doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::static-abc/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::1:distribution/E1"}},
        }
    )

    def test_locked_to_this_distribution(self) -> None:
        assert validate_stack("cloudfront-origin-bucket-locked-to-distribution", self._stack(self.GOOD)) == []

    def test_other_distribution_or_no_condition(self) -> None:
        assert validate_stack(
            "cloudfront-origin-bucket-locked-to-distribution", self._stack(self.GOOD, deps=["static"])
        )
        open_to_all = doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": "*",
            }
        )
        assert validate_stack("cloudfront-origin-bucket-locked-to-distribution", self._stack(open_to_all))

    def test_public_reader_is_caught(self) -> None:
        public = doc(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::static-abc/*"}
        )
        assert validate_stack("cloudfront-origin-bucket-locked-to-distribution", self._stack(public))

    def test_dangling_origin(self) -> None:
        dist = R(DIST, "cdn", {"origins": [{"originId": "s", "domainName": "gone.s3.amazonaws.com"}]})
        assert "dangling" in validate_stack("cloudfront-origin-bucket-locked-to-distribution", [dist])[0].message


class TestIdentityPoolRoles:
    TRUST = doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": "eu-west-1:pool-id"},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }
    )

    def _stack(self, trust: str, roles: dict[str, str] | None = None) -> list[R]:
        return [
            R("aws:cognito/identityPool:IdentityPool", "ids", {}),
            R(ROLE, "auth-role", {"assumeRolePolicy": trust}, deps={"assumeRolePolicy": ["ids"]}),
            R(
                "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
                "attach",
                {"identityPoolId": "eu-west-1:pool-id", "roles": roles or {"authenticated": "arn"}},
                deps={"identityPoolId": ["ids"], "roles": ["auth-role"]},
            ),
        ]

    def test_trust_limited_to_pool(self) -> None:
        assert validate_stack("cognito-identity-roles-trust-this-pool", self._stack(self.TRUST)) == []

    def test_guest_role_and_missing_amr(self) -> None:
        assert validate_stack(
            "cognito-identity-roles-trust-this-pool",
            self._stack(self.TRUST, {"authenticated": "a", "unauthenticated": "b"}),
        )
        no_amr = self.TRUST.replace("ForAnyValue:StringLike", "Ignored").replace("amr", "other")
        assert any(
            "amr" in f.message for f in validate_stack("cognito-identity-roles-trust-this-pool", self._stack(no_amr))
        )


class TestAlarms:
    def _stack(self, key_policy: str, metrics: tuple[str, ...] = ("CPUUtilization", "FreeableMemory")) -> list[R]:
        resources = [
            R(KEY, "alerts-key", {"policy": key_policy}),
            R(TOPIC, "alerts", {"kmsMasterKeyId": "k"}, deps={"kmsMasterKeyId": ["alerts-key"]}),
            R("aws:neptune/cluster:Cluster", "graph", {"clusterIdentifier": "graph-prod"}),
        ]
        for metric in metrics:
            resources.append(
                R(
                    ALARM,
                    f"graph-{metric}",
                    {
                        "namespace": "AWS/Neptune",
                        "metricName": metric,
                        "dimensions": {"DBClusterIdentifier": "graph-prod"},
                        "alarmActions": ["t"],
                    },
                    deps={"alarmActions": ["alerts"], "dimensions": ["graph"]},
                )
            )
        return resources

    CW_KEY = doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    )

    def test_covered_and_routed(self) -> None:
        assert validate_stack("alarm-coverage", self._stack(self.CW_KEY)) == []
        assert validate_stack("alarm-topic-encrypted", self._stack(self.CW_KEY)) == []

    def test_missing_metric(self) -> None:
        found = validate_stack("alarm-coverage", self._stack(self.CW_KEY, metrics=("CPUUtilization",)))
        assert "FreeableMemory" in found[0].message

    def test_key_must_admit_cloudwatch(self) -> None:
        other = doc(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*", "Resource": "*"}
        )
        assert validate_stack("alarm-topic-encrypted", self._stack(other))


def _bucket_stack(**overrides: object) -> list[R]:
    def split(kind: str, name: str, props: dict[str, object]) -> R:
        return R(
            f"aws:s3/{kind[0].lower() + kind[1:]}:{kind}", name, {"bucket": "b", **props}, deps={"bucket": ["data"]}
        )

    tls = doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    parts = {
        "pab": split(
            "BucketPublicAccessBlock",
            "pab",
            dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True),
        ),
        "policy": split("BucketPolicy", "policy", {"policy": tls}),
        "logging": split("BucketLogging", "logging", {"targetBucket": "logs"}),
        "owner": split("BucketOwnershipControls", "owner", {"rule": {"objectOwnership": "BucketOwnerEnforced"}}),
        "lifecycle": split(
            "BucketLifecycleConfiguration",
            "lifecycle",
            {"rules": [{"id": "a", "status": "Enabled", "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}]},
        ),
        "sse": split(
            "BucketServerSideEncryptionConfiguration",
            "sse",
            {
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "k"},
                        "bucketKeyEnabled": True,
                    }
                ]
            },
        ),
        "versioning": split(
            "BucketVersioning", "versioning", {"versioningConfiguration": {"status": "Enabled", "mfaDelete": "Enabled"}}
        ),
    }
    for key, value in overrides.items():
        if value is None:
            parts.pop(key)
        else:
            assert isinstance(value, R)
            parts[key] = value
    return [R(BUCKET, "data", {"bucket": "b"}), *parts.values()]


class TestBuckets:
    POLICIES = (
        "s3-bucket-public-access-block",
        "s3-bucket-tls-only",
        "s3-bucket-access-logging",
        "s3-bucket-owner-enforced",
        "s3-bucket-lifecycle",
        "s3-bucket-sse-kms",
        "s3-bucket-versioning",
        "s3-bucket-mfa-delete",
    )

    def test_fully_configured_bucket_passes(self) -> None:
        for policy in self.POLICIES:
            assert validate_stack(policy, _bucket_stack()) == [], policy

    def test_each_missing_split_resource_is_caught(self) -> None:
        for policy, part in zip(
            self.POLICIES,
            ("pab", "policy", "logging", "owner", "lifecycle", "sse", "versioning", "versioning"),
            strict=True,
        ):
            assert validate_stack(policy, _bucket_stack(**{part: None})), policy

    def test_public_access_block_off_is_caught(self) -> None:
        off = R(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "pab",
            {
                "bucket": "b",
                "blockPublicAcls": True,
                "blockPublicPolicy": False,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            deps={"bucket": ["data"]},
        )
        found = validate_stack("s3-bucket-public-access-block", _bucket_stack(pab=off))
        assert "blockPublicPolicy" in found[0].message

    def test_deprecated_v2_tokens_count(self) -> None:
        v2 = R(
            "aws:s3/bucketVersioningV2:BucketVersioningV2",
            "versioning",
            {"bucket": "b", "versioningConfiguration": {"status": "Enabled"}},
            deps={"bucket": ["data"]},
        )
        assert validate_stack("s3-bucket-versioning", _bucket_stack(versioning=v2)) == []

    def test_log_target_bucket_needs_no_logging_itself(self) -> None:
        logs = R(BUCKET, "logs", {"bucket": "logs"})
        logging = R(
            "aws:s3/bucketLogging:BucketLogging",
            "logging",
            {"bucket": "b", "targetBucket": "logs"},
            deps={"bucket": ["data"], "targetBucket": ["logs"]},
        )
        assert validate_stack("s3-bucket-access-logging", [*_bucket_stack(logging=logging), logs]) == []

    @staticmethod
    def _sse(algorithm: object, key: object = None, bucket_key: object = None) -> R:
        default: dict[str, object] = {"sseAlgorithm": algorithm}
        if key is not None:
            default["kmsMasterKeyId"] = key
        rule: dict[str, object] = {"applyServerSideEncryptionByDefault": default}
        if bucket_key is not None:
            rule["bucketKeyEnabled"] = bucket_key
        return R(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "sse",
            {"bucket": "b", "rules": [rule]},
            deps={"bucket": ["data"]},
        )

    @staticmethod
    def _logs_into_data() -> R:
        """Another bucket's server access logs delivered into the bucket under test."""
        return R(
            "aws:s3/bucketLogging:BucketLogging",
            "other-logging",
            {"bucket": "o", "targetBucket": "b"},
            deps={"bucket": ["other"], "targetBucket": ["data"]},
        )

    def test_sse_s3_passes_exactly_on_a_server_access_log_target(self) -> None:
        # S3 server access logging writes only into SSE-S3 buckets (S3 user guide, "Enabling
        # Amazon S3 server access logging"): the security rule must let a target use it.
        stack = [*_bucket_stack(sse=self._sse("AES256")), R(BUCKET, "other", {"bucket": "o"}), self._logs_into_data()]
        assert [f.message for f in validate_stack("s3-bucket-sse-kms", stack) if "'data'" in f.message] == []

    def test_sse_s3_violates_on_any_other_bucket(self) -> None:
        found = validate_stack("s3-bucket-sse-kms", _bucket_stack(sse=self._sse("AES256")))
        assert len(found) == 1 and "'AES256', not SSE-KMS" in found[0].message
        # Being a log *source* (the bucket logs elsewhere) is no reason for SSE-S3.
        assert "only on a server access log target" in found[0].message

    def test_kms_still_required_to_name_a_key_and_use_bucket_keys(self) -> None:
        messages = [f.message for f in validate_stack("s3-bucket-sse-kms", _bucket_stack(sse=self._sse("aws:kms")))]
        assert any("AWS-managed aws/s3 key" in m for m in messages)
        assert any("does not enable S3 Bucket Keys" in m for m in messages)

    def test_missing_encryption_configuration_violates_even_on_a_log_target(self) -> None:
        stack = [*_bucket_stack(sse=None), R(BUCKET, "other", {"bucket": "o"}), self._logs_into_data()]
        (found,) = [f for f in validate_stack("s3-bucket-sse-kms", stack) if "'data'" in f.message]
        assert "no default encryption configuration" in found.message

    def test_unknown_algorithm_is_reported_as_unknown_not_passed(self) -> None:
        stack = _bucket_stack(sse=self._sse(UNKNOWN, key="k", bucket_key=True))
        assert validate_stack("s3-bucket-sse-kms", stack) == []  # not judged by the rule itself...
        found = validate_stack("preview-unknown-security-inputs", stack)  # ...but failed closed at preview
        assert any(f.message.startswith("s3-bucket-sse-kms:") and "sseAlgorithm" in f.message for f in found)

    def test_unknown_key_arn_at_preview_is_a_computed_key(self) -> None:
        sse = self._sse("aws:kms", key=UNKNOWN, bucket_key=True)
        assert validate_stack("s3-bucket-sse-kms", _bucket_stack(sse=sse)) == []


class TestOtherJoins:
    def test_secret_rotation(self) -> None:
        secret = R("aws:secretsmanager/secret:Secret", "db", {})
        rotation = R(
            "aws:secretsmanager/secretRotation:SecretRotation",
            "rot",
            {"secretId": "x", "rotationRules": {"automaticallyAfterDays": 30.0}},
            deps={"secretId": ["db"]},
        )
        assert validate_stack("secret-rotation", [secret, rotation]) == []
        assert validate_stack("secret-rotation", [secret])
        slow = R(
            "aws:secretsmanager/secretRotation:SecretRotation",
            "rot",
            {"secretId": "x", "rotationRules": {"scheduleExpression": "rate(180 days)"}},
            deps={"secretId": ["db"]},
        )
        assert validate_stack("secret-rotation", [secret, slow])
        apns = {"exemptions": [{"resource": "db", "reason": "APNs keys are rotated by hand in the Apple portal"}]}
        assert validate_stack("secret-rotation", [secret], apns) == []

    def test_lambda_failure_destinations(self) -> None:
        fn = R(FN, "fn", {})
        assert validate_stack("lambda-failure-destination", [fn])
        dlq = R(FN, "fn", {"deadLetterConfig": {"targetArn": "arn:aws:sqs:eu-west-1:1:dlq"}})
        assert validate_stack("lambda-failure-destination", [dlq]) == []
        cfg = R(
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
            "cfg",
            {"functionName": "f", "destinationConfig": {"onFailure": {"destination": "arn"}}},
            deps={"functionName": ["fn"]},
        )
        assert validate_stack("lambda-failure-destination", [fn, cfg]) == []

    def test_event_source_mapping_failure_handling(self) -> None:
        queue = R("aws:sqs/queue:Queue", "events", {"fifoQueue": True})
        esm = R(
            "aws:lambda/eventSourceMapping:EventSourceMapping",
            "esm",
            {"eventSourceArn": "arn"},
            deps={"eventSourceArn": ["events"]},
        )
        assert "redrive" in validate_stack("lambda-event-source-failure-handling", [queue, esm])[0].message
        queue.props["redrivePolicy"] = '{"deadLetterTargetArn": "dlq"}'
        assert validate_stack("lambda-event-source-failure-handling", [queue, esm]) == []

    def test_queue_dead_letter(self) -> None:
        dlq = R("aws:sqs/queue:Queue", "dlq", {})
        main = R("aws:sqs/queue:Queue", "main", {"redrivePolicy": UNKNOWN}, deps={"redrivePolicy": ["dlq"]})
        assert validate_stack("sqs-queue-dead-letter", [dlq, main]) == []
        assert validate_stack("sqs-queue-dead-letter", [R("aws:sqs/queue:Queue", "lonely", {})])

    def test_lambda_multi_az(self) -> None:
        subnets = [R("aws:ec2/subnet:Subnet", f"s{z}", {"availabilityZone": f"eu-west-1{z}"}) for z in "ab"]
        fn = R(FN, "fn", {"vpcConfig": {"subnetIds": ["x", "y"]}}, deps={"vpcConfig": ["sa", "sb"]})
        assert validate_stack("lambda-vpc-multi-az", [*subnets, fn]) == []
        single = R(FN, "fn", {"vpcConfig": {"subnetIds": ["x"]}}, deps={"vpcConfig": ["sa"]})
        assert validate_stack("lambda-vpc-multi-az", [*subnets, single])

    def test_trail_bucket_and_data_events(self) -> None:
        bucket = R(BUCKET, "trail-bucket", {"bucket": "trail-abc"})
        trail = R(
            "aws:cloudtrail/trail:Trail",
            "trail",
            {"s3BucketName": "trail-abc"},
            deps={"s3BucketName": ["trail-bucket"]},
        )
        found = [f.message for f in validate_stack("cloudtrail-bucket-secured", [bucket, trail])]
        assert any("public access" in m for m in found) and any("access logging" in m for m in found)
        app = R(BUCKET, "uploads", {"bucket": "uploads-abc"})
        assert validate_stack("cloudtrail-data-events-cover-app", [bucket, trail, app])
        selectors = [
            {
                "fieldSelectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                    {"field": "resources.ARN", "startsWith": ["arn:aws:s3:::uploads-abc/"]},
                ]
            }
        ]
        covered = R(
            "aws:cloudtrail/trail:Trail",
            "trail",
            {"s3BucketName": "trail-abc", "advancedEventSelectors": selectors},
            deps={"s3BucketName": ["trail-bucket"], "advancedEventSelectors": ["uploads"]},
        )
        assert validate_stack("cloudtrail-data-events-cover-app", [bucket, covered, app]) == []

    def test_config_recorder(self) -> None:
        recorder = R(
            "aws:cfg/recorder:Recorder",
            "rec",
            {"name": "default", "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}},
        )
        status = R(
            "aws:cfg/recorderStatus:RecorderStatus",
            "status",
            {"name": "default", "isEnabled": True},
            deps={"name": ["rec"]},
        )
        channel = R("aws:cfg/deliveryChannel:DeliveryChannel", "channel", {"s3BucketName": "b"})
        assert validate_stack("config-recorder-enabled", [recorder, status, channel]) == []
        assert len(validate_stack("config-recorder-enabled", [recorder])) == 2

    def test_api_execution_logging(self) -> None:
        stage = R(STAGE, "v1", {"stageName": "v1"})
        settings = R(
            "aws:apigateway/methodSettings:MethodSettings",
            "all",
            {
                "stageName": "v1",
                "methodPath": "*/*",
                "settings": {"loggingLevel": "ERROR", "throttlingRateLimit": 50.0, "throttlingBurstLimit": 100.0},
            },
            deps={"stageName": ["v1"]},
        )
        assert validate_stack("apigateway-execution-logging-and-throttling", [stage, settings]) == []
        assert validate_stack("apigateway-execution-logging-and-throttling", [stage])

    def test_dynamodb_capacity_and_backup(self) -> None:
        table = R("aws:dynamodb/table:Table", "t", {"billingMode": "PROVISIONED"})
        assert validate_stack("dynamodb-capacity-scales", [table])
        assert (
            validate_stack(
                "dynamodb-capacity-scales", [R("aws:dynamodb/table:Table", "t", {"billingMode": "PAY_PER_REQUEST"})]
            )
            == []
        )
        selection = R("aws:backup/selection:Selection", "sel", {"resources": ["arn"]}, deps={"resources": ["t"]})
        assert validate_stack("dynamodb-in-backup-plan", [table, selection]) == []

    def test_appsync_pool_enforces_mfa(self) -> None:
        pool = R("aws:cognito/userPool:UserPool", "users", {"mfaConfiguration": "OPTIONAL"})
        api = R(
            API,
            "api",
            {"authenticationType": "AMAZON_COGNITO_USER_POOLS", "userPoolConfig": {"userPoolId": "x"}},
            deps={"userPoolConfig": ["users"]},
        )
        assert validate_stack("appsync-cognito-pool-enforces-mfa", [pool, api])
        assert validate_stack("appsync-cognito-pool-enforces-mfa", [pool, api], {"allowOptional": True}) == []
        pool.props["mfaConfiguration"] = "ON"
        assert validate_stack("appsync-cognito-pool-enforces-mfa", [pool, api]) == []

    def test_security_headers(self) -> None:
        headers = R(
            "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
            "hdr",
            {
                "securityHeadersConfig": {
                    "strictTransportSecurity": {"accessControlMaxAgeSec": 63072000},
                    "contentTypeOptions": {"override": True},
                    "frameOptions": {"frameOption": "DENY"},
                }
            },
        )
        dist = R(
            DIST,
            "cdn",
            {"defaultCacheBehavior": {"responseHeadersPolicyId": "h"}},
            deps={"defaultCacheBehavior": ["hdr"]},
        )
        assert validate_stack("cloudfront-security-headers", [headers, dist]) == []
        weak = R(
            "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
            "hdr",
            {"securityHeadersConfig": {"strictTransportSecurity": {"accessControlMaxAgeSec": 300}}},
        )
        assert len(validate_stack("cloudfront-security-headers", [weak, dist])) == 3

    def test_topic_tls_and_wafv2_logging(self) -> None:
        deny = doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
        topic = R(TOPIC, "t", {})
        policy = R("aws:sns/topicPolicy:TopicPolicy", "tp", {"arn": "x", "policy": deny}, deps={"arn": ["t"]})
        assert validate_stack("sns-topic-tls-only", [topic, policy]) == []
        assert validate_stack("sns-topic-tls-only", [topic])
        logging = R(
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            "log",
            {"resourceArn": "x", "redactedFields": [{"singleHeader": {"name": "authorization"}}]},
            deps={"resourceArn": ["acl"]},
        )
        assert validate_stack("wafv2-logging", [acl(), logging]) == []
        assert validate_stack("wafv2-logging", [acl()])


def test_cis_metric_filters() -> None:
    group = R("aws:cloudwatch/logGroup:LogGroup", "trail-logs", {})
    trail = R(
        "aws:cloudtrail/trail:Trail",
        "trail",
        {"cloudWatchLogsGroupArn": "x"},
        deps={"cloudWatchLogsGroupArn": ["trail-logs"]},
    )
    root = R(
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "root",
        {
            "logGroupName": "g",
            "pattern": '{ $.userIdentity.type = "Root" }',
            "metricTransformation": {"name": "RootUse"},
        },
        deps={"logGroupName": ["trail-logs"]},
    )
    alarm = R(ALARM, "root-alarm", {"metricName": "RootUse", "alarmActions": ["t"]})
    only_root = {"requiredMarkers": ["Root"]}
    assert validate_stack("cis-metric-filters", [group, trail, root, alarm], only_root) == []
    assert validate_stack("cis-metric-filters", [group, trail, root], only_root), (
        "a filter without an alarm does not count"
    )
    missing = validate_stack("cis-metric-filters", [group, trail, root, alarm])
    assert "UnauthorizedOperation" in missing[0].message
    assert validate_stack("cis-metric-filters", [R("aws:cloudtrail/trail:Trail", "t", {})]) == []


def test_runtime_enis_may_be_named_without_a_stack_resource() -> None:
    eni = doc(
        {
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterface",
            "Resource": "arn:aws:ec2:eu-west-1:1:network-interface/*",
        }
    )
    assert validate_stack("workload-roles-scoped-to-stack", lambda_stack(eni)) == []
    assert validate_stack("workload-roles-scoped-to-stack", lambda_stack(eni), {"allowedResourcePatterns": []})


def test_sync_only_functions_need_no_dead_letter_queue() -> None:
    fn = R(FN, "graph-api", {"name": "social-dev-graph-api"})
    data_source = R(
        "aws:appsync/dataSource:DataSource",
        "ds",
        {"lambdaConfig": {"functionArn": "x"}},
        deps={"lambdaConfig": ["graph-api"]},
    )
    assert validate_stack("lambda-failure-destination", [fn, data_source]) == []
    s3_permission = R(
        "aws:lambda/permission:Permission",
        "s3-invoke",
        {"principal": "s3.amazonaws.com", "function": "x"},
        deps={"function": ["graph-api"]},
    )
    assert validate_stack("lambda-failure-destination", [fn, data_source, s3_permission]), "an async caller needs a DLQ"


def test_statements_may_name_stack_resources_by_physical_name() -> None:
    log_group = R("aws:cloudwatch/logGroup:LogGroup", "fn-logs", {"name": "/aws/lambda/social-dev-fn"})
    policy = doc(
        {
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/social-dev-fn:log-stream:*",
        }
    )
    assert validate_stack("workload-roles-scoped-to-stack", [*lambda_stack(policy), log_group]) == []
    assert validate_stack("workload-roles-scoped-to-stack", lambda_stack(policy)), "no such log group in the stack"


def test_a_functions_dead_letter_queue_needs_no_dlq_of_its_own() -> None:
    dlq = R("aws:sqs/queue:Queue", "fn-dlq", {})
    fn = R(FN, "fn", {"deadLetterConfig": {"targetArn": "x"}}, deps={"deadLetterConfig": ["fn-dlq"]})
    assert validate_stack("sqs-queue-dead-letter", [dlq, fn]) == []
    assert validate_stack("sqs-queue-dead-letter", [dlq])


def test_cloudfront_access_logging_legacy_or_v2() -> None:
    legacy = R(DIST, "cdn", {"loggingConfig": {"bucket": "logs.s3.amazonaws.com"}})
    assert validate_stack("cloudfront-access-logging", [legacy]) == []
    dist = R(DIST, "cdn", {})
    source = R(
        "aws:cloudwatch/logDeliverySource:LogDeliverySource",
        "src",
        {"name": "cdn-access", "logType": "ACCESS_LOGS", "resourceArn": "x"},
        deps={"resourceArn": ["cdn"]},
    )
    delivery = R(
        "aws:cloudwatch/logDelivery:LogDelivery",
        "delivery",
        {"deliverySourceName": "cdn-access", "deliveryDestinationArn": "d"},
    )
    assert validate_stack("cloudfront-access-logging", [dist, source, delivery]) == []
    assert "no delivery" in validate_stack("cloudfront-access-logging", [dist, source])[0].message
    assert validate_stack("cloudfront-access-logging", [dist])
