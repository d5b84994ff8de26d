"""The mutation suite's catalogue: for every policy of the three packs, one regression of prod.

Each entry breaks the prod stack's recorded resources (the offline run ``policies.check``
evaluates) in the one property the policy guards, and the policy must answer with a new
finding at the level prod's pack config gives it (mandatory unless the config says
otherwise). ``tests/policies/test_mutations.py`` runs them; the terminal summary prints the
rate. Adding a policy means adding its entry here, usually three lines::

    change("kms-key-rotation", "keys-data", {"enableKeyRotation": False},
           "the data key stops rotating"),

Entry kinds: ``change`` sets (or with ``DELETE`` removes) input paths of one resource,
``edit_doc`` edits a JSON policy document held in one input, ``drop`` removes a resource,
``add`` adds one resource (for a policy whose type prod does not have), ``unknown`` makes an
input unknown and evaluates as the engine's preview does (the preview-only policies).
A target is a resource's logical name; ``type`` picks one where names repeat across types.
"""

from __future__ import annotations

import copy
import functools
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from policies.core import UNKNOWN, Res, Rule, Stack, reports_undecided, run_stack_rule
from policies.evaluate import Finding, Report, evaluate, res_from_recorded
from policies.packconfig import PackConfig, load
from policies.rules import all_rules
from tests.policies.conftest import DELETE, set_path

STACK = "prod"
PROJECT = "social-backend"
Edit = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class NewResource:
    """A resource a mutation adds; ``deps`` names (logical names) the resources feeding a property."""

    type: str
    name: str
    props: dict[str, Any]
    deps: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:pulumi:{STACK}::{PROJECT}::{self.type}::{self.name}"


@dataclass(frozen=True)
class Mutation:
    """One regression of prod that ``policy`` must report."""

    policy: str
    regression: str
    target: str = ""
    type: str = ""
    edit: Edit | None = None
    remove: bool = False
    add: tuple[NewResource, ...] = ()
    #: Evaluate as the engine's preview does (for the preview-unknown-* policies).
    preview: bool = False
    #: Property dependencies replaced on the target (property -> logical names; empty: a literal).
    deps: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Edits of the resource record itself (protect, dependencies), after ``edit``.
    record: Callable[[Res], Res] | None = None
    #: Add a copy of the target under this name (same inputs, options and dependencies).
    clone_as: str = ""


def change(
    policy: str,
    target: str,
    paths: Mapping[str, Any],
    regression: str,
    *,
    type: str = "",
    deps: Mapping[str, Sequence[str]] | None = None,
) -> Mutation:
    """Set each ``a.b.0.c`` path of ``target``'s inputs to its value (``DELETE`` removes it).

    ``deps``: the property dependencies the changed properties have now (a literal value has
    none; a value from another resource names it), as the engine would record them.
    """

    def edit(props: dict[str, Any]) -> None:
        for path, value in paths.items():
            set_path(props, path, value if value is DELETE else copy.deepcopy(value))

    return Mutation(policy, regression, target, type, edit, deps=dict(deps or {}))


def edit(policy: str, target: str, fn: Edit, regression: str, *, type: str = "") -> Mutation:
    """Edit ``target``'s inputs in place with ``fn`` (for changes a path cannot say)."""
    return Mutation(policy, regression, target, type, fn)


def unprotect(policy: str, target: str, regression: str) -> Mutation:
    """``target`` loses ``protect=True``."""
    return Mutation(policy, regression, target, record=lambda r: replace(r, protect=False))


def without_dependency(policy: str, target: str, dependency: str, regression: str) -> Mutation:
    """``target`` no longer waits for ``dependency`` (dropped from depends_on and property dependencies)."""

    def record(res: Res) -> Res:
        urns = {r.urn for r in prod_views() if r.name == dependency}
        assert urns & set(res.dependencies), f"{res.name} does not depend on {dependency}"
        return replace(
            res,
            dependencies=[u for u in res.dependencies if u not in urns],
            property_dependencies={k: [u for u in v if u not in urns] for k, v in res.property_dependencies.items()},
        )

    return Mutation(policy, regression, target, record=record)


def clone(policy: str, target: str, name: str, regression: str) -> Mutation:
    """One more resource like ``target`` (for a policy prod already fails, by its config advisory:
    each new resource that repeats the gap must be reported too)."""
    return Mutation(policy, regression, target, clone_as=name)


def edit_doc(
    policy: str, target: str, prop: str, fn: Callable[[Any], object], regression: str, *, type: str = ""
) -> Mutation:
    """Edit the JSON document in ``target``'s ``prop`` (a policy document) in place with ``fn``."""

    def edit(props: dict[str, Any]) -> None:
        value = props[prop]
        document = json.loads(value) if isinstance(value, str) else value
        fn(document)
        props[prop] = json.dumps(document) if isinstance(value, str) else document

    return Mutation(policy, regression, target, type, edit)


def drop(policy: str, target: str, regression: str, *, type: str = "") -> Mutation:
    """Remove ``target`` from the stack."""
    return Mutation(policy, regression, target, type, remove=True)


def add(
    policy: str,
    res_type: str,
    name: str,
    props: dict[str, Any],
    regression: str,
    *,
    also: tuple[NewResource, ...] = (),
    **deps: Sequence[str],
) -> Mutation:
    """Add one resource (``deps``: property -> logical names of the resources feeding it);
    ``also``: resources it needs to be judged at all (a recorder for a delivery channel)."""
    return Mutation(policy, regression, add=(*also, NewResource(res_type, name, props, deps)))


def unknown(policy: str, target: str, path: str, regression: str, *, type: str = "") -> Mutation:
    """At preview, ``target``'s ``path`` is unknown: the pack's preview list must name the control."""
    base = change(policy, target, {path: UNKNOWN}, regression, type=type)
    return replace(base, preview=True)


def statements(document: Any) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def _append_statement(statement: dict[str, Any]) -> Callable[[Any], None]:
    def fn(document: Any) -> None:
        document["Statement"] = [*statements(document), statement]

    return fn


def with_statement(policy: str, target: str, prop: str, statement: dict[str, Any], regression: str) -> Mutation:
    """Append one statement to the policy document in ``target``'s ``prop``."""
    return edit_doc(policy, target, prop, _append_statement(statement), regression)


FOREIGN_ACCOUNT = "210987654321"
ACCOUNT = "123456789012"
TAGS = {"Stack": STACK, "Project": PROJECT, "Environment": STACK, "ManagedBy": "pulumi"}


def without_statements(match: Callable[[dict[str, Any]], bool]) -> Callable[[Any], None]:
    """A document edit dropping the statements ``match`` selects (at least one must match)."""

    def fn(document: Any) -> None:
        kept = [st for st in statements(document) if not match(st)]
        assert len(kept) < len(statements(document)), "no statement matched"
        document["Statement"] = kept

    return fn


def without_conditions(match: Callable[[dict[str, Any]], bool]) -> Callable[[Any], None]:
    """A document edit dropping the ``Condition`` of the statements ``match`` selects."""

    def fn(document: Any) -> None:
        hits = [st for st in statements(document) if match(st) and "Condition" in st]
        assert hits, "no conditioned statement matched"
        for st in hits:
            del st["Condition"]

    return fn


def denies(st: dict[str, Any]) -> bool:
    return st.get("Effect") == "Deny"


def service(name: str) -> Callable[[dict[str, Any]], bool]:
    def match(st: dict[str, Any]) -> bool:
        principal = st.get("Principal")
        return isinstance(principal, dict) and name in str(principal.get("Service") or principal.get("Federated"))

    return match


def acts(prefix: str) -> Callable[[dict[str, Any]], bool]:
    def match(st: dict[str, Any]) -> bool:
        actions = st.get("Action")
        return any(str(a).startswith(prefix) for a in (actions if isinstance(actions, list) else [actions]))

    return match


def _pop(path: str, index: int) -> Edit:
    def fn(props: dict[str, Any]) -> None:
        items = props[path]
        del items[index]

    return fn


def _keep(path: str, count: int) -> Edit:
    def fn(props: dict[str, Any]) -> None:
        props[path] = props[path][:count]

    return fn


def _count_rule(index: int) -> Edit:
    def fn(props: dict[str, Any]) -> None:
        props["rules"][index]["overrideAction"] = {"count": {}}

    return fn


def doc(value: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", **value})


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


MEDIA = "arn:aws:s3:::social-backend-prod-media-123456789012"
TRAIL_DELIVERY_TOPIC = "arn:aws:sns:eu-west-1:123456789012:topic/social-backend-prod-trail-delivery"
DATA_KEY = "arn:aws:kms:eu-west-1:123456789012:key/01892c37-0000-4000-8000-2c11df775d29"
CONTENT_KEY = "arn:aws:kms:eu-west-1:123456789012:key/6a1302f4-0000-4000-8000-d98cd03e7980"
FOREIGN_KEY = f"arn:aws:kms:eu-west-1:{FOREIGN_ACCOUNT}:key/0b0b0b0b-0000-4000-8000-000000000000"
EVENTS_QUEUE = "arn:aws:sqs:eu-west-1:123456789012:queue/social-backend-prod-events.fifo"
#: A compliant Config recorder, for the policies that judge what comes with one.
RECORDER = NewResource(
    "aws:cfg/recorder:Recorder",
    "mutant-recorder-ok",
    {
        "name": "default",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
    },
)

# fmt: off
MUTATIONS: tuple[Mutation, ...] = (
    # -- alarms ---------------------------------------------------------------------------
    change("alarm-has-action", "observability-neptune-cpu", {"actionsEnabled": False},
           "the Neptune CPU alarm's actions are disabled", type="aws:cloudwatch/metricAlarm:MetricAlarm"),
    drop("alarm-coverage", "observability-lambda-graph-api-errors", "the graph API's Errors alarm is removed"),
    change("alarm-topic-encrypted", "observability-neptune-cpu",
           {"alarmActions": [f"arn:aws:sns:eu-west-1:{FOREIGN_ACCOUNT}:topic/alarms"]},
           "an alarm notifies a topic outside this stack", deps={"alarmActions": []}),
    drop("cis-metric-filters", "observability-cis-root-usage", "the CIS root-usage metric filter is removed",
         type="aws:cloudwatch/logMetricFilter:LogMetricFilter"),
    # -- API Gateway ----------------------------------------------------------------------
    change("apigateway-method-authorized", "rest-api-uploads-post", {"authorization": "NONE", "authorizerId": DELETE},
           "POST /uploads needs no authorization", deps={"authorizerId": []}),
    change("apigateway-request-validation", "rest-api-uploads-post", {"requestValidatorId": DELETE},
           "POST /uploads validates nothing", deps={"requestValidatorId": []}),
    change("apigateway-access-logging", "rest-api-stage", {"accessLogSettings": DELETE},
           "the REST stage writes no access log", deps={"accessLogSettings": []}),
    change("apigateway-xray", "rest-api-stage", {"xrayTracingEnabled": False}, "the REST stage stops tracing"),
    clone("apigateway-client-certificate", "rest-api-stage", "rest-api-stage-2",
          "a second REST stage without a client certificate"),
    clone("apigateway-stage-cache", "rest-api-stage", "rest-api-stage-3", "a second REST stage without a cache"),
    change("apigateway-method-settings-secure", "rest-api-method-settings", {"settings.dataTraceEnabled": True},
           "full request/response logging is switched on"),
    change("apigateway-execution-logging-and-throttling", "rest-api-method-settings", {"settings.loggingLevel": "OFF"},
           "execution logging is switched off"),
    change("apigateway-endpoint-type", "rest-api-api", {"endpointConfiguration.types": "EDGE"},
           "the REST API becomes edge-optimised"),
    add("apigateway-domain-tls12", "aws:apigateway/domainName:DomainName", "mutant-domain",
        {"domainName": "api.example.com", "securityPolicy": "TLS_1_0", "endpointConfiguration": {"types": "REGIONAL"},
         "regionalCertificateArn": f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/1"},
        "a custom domain that accepts TLS 1.0"),
    # -- AppSync --------------------------------------------------------------------------
    change("appsync-field-logging", "graphql-api", {"logConfig.fieldLogLevel": "NONE"}, "resolver logging is off"),
    change("appsync-request-logging", "graphql-api", {"logConfig.cloudwatchLogsRoleArn": DELETE},
           "the API has no logging role", deps={"logConfig": []}),
    change("appsync-no-api-key-auth", "graphql-api",
           {"additionalAuthenticationProviders": [{"authenticationType": "AWS_IAM"}, {"authenticationType": "API_KEY"}]},
           "an API key becomes an additional auth provider"),
    add("appsync-cache-encrypted", "aws:appsync/apiCache:ApiCache", "mutant-api-cache",
        {"apiId": "c4bb9b06e943b2bf6", "type": "SMALL", "apiCachingBehavior": "FULL_REQUEST_CACHING", "ttl": 60,
         "atRestEncryptionEnabled": False, "transitEncryptionEnabled": True},
        "an API cache that stores data unencrypted", apiId=["graphql-api"]),
    change("appsync-xray", "graphql-api", {"xrayEnabled": False}, "the API stops tracing"),
    clone("appsync-private-visibility", "graphql-api", "graphql-api-2", "a second public (GLOBAL) API"),
    change("appsync-query-limits", "graphql-api", {"queryDepthLimit": DELETE}, "queries of any depth"),
    change("appsync-introspection-disabled", "graphql-api", {"introspectionConfig": "ENABLED"},
           "the schema can be introspected"),
    change("appsync-cognito-pool-enforces-mfa", "graphql-api", {"userPoolConfig.userPoolId": "eu-west-1_foreign"},
           "the API trusts a user pool outside this stack", deps={"userPoolConfig": []}),
    # -- CloudFront -----------------------------------------------------------------------
    change("cloudfront-default-root-object", "content-distribution", {"defaultRootObject": DELETE},
           "no default root object"),
    change("cloudfront-viewer-https", "content-distribution", {"defaultCacheBehavior.viewerProtocolPolicy": "allow-all"},
           "viewers may use plain HTTP"),
    clone("cloudfront-origin-failover", "content-distribution", "content-distribution-2",
          "a second distribution without origin failover"),
    drop("cloudfront-access-logging", "content-access-log-delivery", "the access-log delivery is removed"),
    clone("cloudfront-custom-certificate", "content-distribution", "content-distribution-3",
          "a second distribution on the default certificate (the exemption names only content-distribution)"),
    clone("cloudfront-viewer-tls12", "content-distribution", "content-distribution-4",
          "a second distribution that accepts TLS below 1.2 (the exemption names only content-distribution)"),
    change("cloudfront-origin-tls", "content-distribution",
           {"origins.1.customOriginConfig": {"httpPort": 80, "httpsPort": 443, "originProtocolPolicy": "match-viewer",
                                              "originSslProtocols": ["TLSv1", "TLSv1.2"]}},
           "a custom origin reached over HTTP or TLS 1.0"),
    change("cloudfront-origin-access-control", "content-distribution", {"origins.1.originAccessControlId": DELETE},
           "the media origin is read without origin access control"),
    clone("cloudfront-geo-restriction", "content-distribution", "content-distribution-5",
          "a second distribution without geo restriction"),
    change("cloudfront-security-headers", "content-security-headers",
           {"securityHeadersConfig.strictTransportSecurity.accessControlMaxAgeSec": 300},
           "HSTS for five minutes"),
    edit_doc("cloudfront-origin-bucket-locked-to-distribution", "content-static-policy", "policy",
             without_conditions(service("cloudfront")), "any distribution may read the static bucket"),
    # -- CloudTrail and Config ------------------------------------------------------------
    change("cloudtrail-multi-region-management-events", "audit-trail", {"isMultiRegionTrail": False},
           "the trail covers one Region"),
    change("cloudtrail-log-file-validation", "audit-trail", {"enableLogFileValidation": False},
           "no digest files"),
    change("cloudtrail-logging-enabled", "audit-trail", {"enableLogging": False}, "the trail stops logging"),
    change("cloudtrail-kms", "audit-trail", {"kmsKeyId": DELETE}, "log files without SSE-KMS", deps={"kmsKeyId": []}),
    change("cloudtrail-cloudwatch-logs", "audit-trail", {"cloudWatchLogsGroupArn": DELETE},
           "the trail stops delivering to CloudWatch Logs", deps={"cloudWatchLogsGroupArn": []}),
    change("cloudtrail-sns-notification", "audit-trail", {"snsTopicName": DELETE}, "no delivery notifications",
           deps={"snsTopicName": []}),
    drop("cloudtrail-bucket-secured", "audit-bucket-access-logging", "the trail bucket loses access logging"),
    edit("cloudtrail-data-events-cover-app", "audit-trail", _keep("advancedEventSelectors", 2),
         "the trail stops recording the functions' invocations"),
    add("config-recorder-enabled", "aws:cfg/recorder:Recorder", "mutant-recorder",
        {"name": "default", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/config",
         "recordingGroup": {"allSupported": False, "includeGlobalResourceTypes": False}},
        "a Config recorder that records only some types"),
    add("config-aggregator-all-regions", "aws:cfg/configurationAggregator:ConfigurationAggregator", "mutant-aggregator",
        {"name": "org", "accountAggregationSource": {"accountIds": [ACCOUNT], "regions": ["eu-west-1"]}},
        "a Config aggregator over one Region"),
    # -- IAM ------------------------------------------------------------------------------
    with_statement("iam-no-admin-statements", "graph-api-policy", "policy", allow("*", "*"),
                   "the graph API may do anything"),
    with_statement("iam-no-wildcard-actions", "graph-api-policy", "policy", allow("s3:*", f"{MEDIA}/*"),
                   "the graph API may call every S3 action on the media bucket"),
    with_statement("iam-known-actions", "graph-api-policy", "policy", allow("s3:GetObjekt", f"{MEDIA}/*"),
                   "a misspelt action"),
    with_statement("iam-no-wildcard-resource", "graph-api-policy", "policy", allow("s3:GetObject", "*"),
                   "the graph API may read every bucket"),
    with_statement("iam-no-kms-decrypt-all-keys", "graph-api-policy", "policy",
                   allow("kms:Decrypt", "*"), "the graph API may decrypt with every key"),
    with_statement("iam-no-privilege-escalation", "graph-api-policy", "policy",
                   allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/graph-api-role"), "the graph API may pass roles"),
    change("iam-no-aws-managed-policies", "graph-api-policy-attach",
           {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, "the graph API role gets AdministratorAccess",
           deps={"policyArn": []}),
    add("iam-no-inline-policies", "aws:iam/rolePolicy:RolePolicy", "mutant-inline-policy",
        {"role": "graph-api-role", "policy": doc({"Statement": [allow("s3:GetObject", f"{MEDIA}/*")]})},
        "an inline policy on the graph API role", role=["graph-api-role"]),
    edit_doc("iam-role-trust-specific", "graph-api-role", "assumeRolePolicy",
             lambda d: [statements(d)[0].update(Principal={"AWS": "*"}), statements(d)[0].pop("Condition")],
             "anyone may assume the graph API role"),
    add("iam-no-user-policies", "aws:iam/userPolicy:UserPolicy", "mutant-user-policy",
        {"user": "ci", "policy": doc({"Statement": [allow("s3:GetObject", f"{MEDIA}/*")]})},
        "a policy attached to an IAM user"),
    add("iam-account-password-policy", "aws:iam/accountPasswordPolicy:AccountPasswordPolicy", "mutant-password-policy",
        {"minimumPasswordLength": 8}, "an 8-character account password policy"),
    add("iam-no-users", "aws:iam/user:User", "mutant-user", {"name": "ci"}, "an IAM user"),
    change("iam-no-conflicting-role-policy-management", "graph-api-role",
           {"managedPolicyArns": [f"arn:aws:iam::{ACCOUNT}:policy/graph-api-policy-53cbb61"]},
           "the graph API role lists its managed policies although an attachment resource manages them"),
    with_statement("policies-admit-only-this-account", "content-media-policy", "policy",
                   allow("s3:GetObject", f"{MEDIA}/*", Principal={"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"}),
                   "another account may read the media bucket"),
    with_statement("resource-policies-service-principals-pinned", "audit-delivery-topic-policy", "policy",
                   allow("sns:Publish", TRAIL_DELIVERY_TOPIC, Principal={"Service": "events.amazonaws.com"}),
                   "any EventBridge rule of any account may publish to the trail topic"),
    # -- Cognito --------------------------------------------------------------------------
    change("cognito-password-policy", "identity-user-pool", {"passwordPolicy.minimumLength": 6}, "6-character passwords"),
    change("cognito-mfa-required", "identity-user-pool", {"mfaConfiguration": "OFF"}, "MFA is off"),
    change("cognito-threat-protection", "identity-user-pool", {"userPoolAddOns.advancedSecurityMode": "AUDIT"},
           "threat protection only audits"),
    change("cognito-deletion-protection", "identity-user-pool", {"deletionProtection": "INACTIVE"},
           "the user pool can be deleted"),
    change("cognito-identity-pool-no-guests", "identity-identity-pool", {"allowUnauthenticatedIdentities": True},
           "guests get identities"),
    change("cognito-client-hardening", "identity-app-client", {"preventUserExistenceErrors": "LEGACY"},
           "sign-in errors reveal which users exist"),
    edit_doc("cognito-identity-roles-trust-this-pool", "identity-authenticated-role", "assumeRolePolicy",
             without_conditions(service("cognito-identity")), "the authenticated role trusts every identity pool"),
    # -- deployability --------------------------------------------------------------------
    change("alarm-metric-in-alarm-region", "observability-waf-cloudfront-blocked", {"region": DELETE},
           "the CloudFront WAF alarm moves to eu-west-1, where its metric does not exist"),
    change("alarm-actions-in-alarm-region", "observability-neptune-cpu",
           {"alarmActions": ["arn:aws:sns:eu-west-1:123456789012:topic/social-backend-prod-alarms-us-east-1"]},
           "an eu-west-1 alarm notifies the us-east-1 topic", type="aws:cloudwatch/metricAlarm:MetricAlarm",
           deps={"alarmActions": ["observability-alarm-topic-us-east-1"]}),
    edit_doc("cmk-store-access-has-key-grant", "notifications-notifier-policy", "policy", without_statements(acts("kms:")),
             "the notifier reads the encrypted queue without kms:Decrypt"),
    without_dependency("cloudtrail-created-after-its-policies", "audit-trail", "audit-bucket-policy",
                       "the trail no longer waits for its bucket policy"),
    without_dependency("s3-notification-after-destination-permission", "media-uploads-notification",
                       "media-thumbnailer-s3-invoke", "the upload notification no longer waits for the invoke permission"),
    add("config-delivery-channel-ordered", "aws:cfg/deliveryChannel:DeliveryChannel", "mutant-delivery-channel",
        {"name": "default", "s3BucketName": "social-backend-prod-trail-123456789012"},
        "a Config delivery channel that does not wait for the stack's recorder", also=(RECORDER,)),
    edit_doc("cloudfront-oac-kms-key-grants-distribution", "content-content-key-policy", "policy",
             without_statements(service("cloudfront")), "the content key no longer lets the distribution decrypt"),
    change("log-target-sse-s3-only", "audit-access-logs-encryption",
           {"rules.0.applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": DATA_KEY}},
           "the access-log target bucket switches to SSE-KMS"),
    change("log-delivery-kms-key-admits-delivery-service", "content-logs-encryption",
           {"rules.0.applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": CONTENT_KEY}},
           "the CloudFront log bucket switches to a key that log delivery may not use"),
    edit_doc("service-trust-conditions-are-sent", "notifications-scheduler-role", "assumeRolePolicy",
             lambda d: statements(d)[0]["Condition"]["StringEquals"].update({"aws:SourceArn": (
                 "arn:aws:scheduler:eu-west-1:123456789012:schedule/social-backend-prod-schedules/social-backend-prod-stream-poller")}),
             "the scheduler role expects the schedule's ARN, which Scheduler never sends"),
    change("scheduler-schedule-cmk", "notifications-poller-schedule", {"kmsKeyArn": DELETE},
           "the poller's schedule on the AWS-owned key", deps={"kmsKeyArn": []}),
    # -- DynamoDB -------------------------------------------------------------------------
    change("dynamodb-pitr", "notifications-devices", {"pointInTimeRecovery.enabled": False}, "no point-in-time recovery"),
    change("dynamodb-deletion-protection", "notifications-devices", {"deletionProtectionEnabled": False},
           "the devices table can be deleted"),
    change("dynamodb-cmk-encryption", "notifications-devices", {"serverSideEncryption": DELETE},
           "the devices table on the AWS-owned key", deps={"serverSideEncryption": []}),
    add("dax-encrypted", "aws:dax/cluster:Cluster", "mutant-dax",
        {"clusterName": "cache", "nodeType": "dax.r5.large", "replicationFactor": 3,
         "serverSideEncryption": {"enabled": False}, "clusterEndpointEncryptionType": "NONE"},
        "an unencrypted DAX cluster"),
    change("dynamodb-capacity-scales", "notifications-devices",
           {"billingMode": "PROVISIONED", "readCapacity": 5, "writeCapacity": 5}, "fixed capacity without auto scaling"),
    clone("dynamodb-in-backup-plan", "notifications-devices", "notifications-devices-2",
          "a second table no backup plan selects"),
    # -- KMS ------------------------------------------------------------------------------
    change("kms-key-rotation", "keys-data", {"enableKeyRotation": False}, "the data key stops rotating"),
    with_statement("kms-key-policy-no-public-principal", "keys-data", "policy",
                   allow("kms:Decrypt", "*", Principal="*"), "anyone may decrypt with the data key"),
    with_statement("kms-key-policy-service-principals-scoped", "keys-data", "policy",
                   allow(["kms:Decrypt", "kms:GenerateDataKey*"], "*", Principal={"Service": "sns.amazonaws.com"}),
                   "SNS may use the data key for any account's topics"),
    change("kms-key-policy-defined", "keys-data", {"policy": DELETE}, "the data key falls back to the default policy"),
    change("kms-key-no-lockout-bypass", "keys-data", {"bypassPolicyLockoutSafetyCheck": True},
           "the lockout safety check is bypassed"),
    change("kms-key-deletion-window", "keys-data", {"deletionWindowInDays": 7}, "a 7-day deletion window"),
    change("kms-key-enabled", "keys-data", {"isEnabled": False}, "the data key is disabled"),
    change("kms-encryption-uses-stack-keys", "notifications-events", {"kmsMasterKeyId": FOREIGN_KEY},
           "the events queue uses another account's key", deps={"kmsMasterKeyId": []}),
    with_statement("kms-key-administration-by-account-only", "keys-data", "policy",
                   allow("kms:ScheduleKeyDeletion", "*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/graph-api-role"}),
                   "a workload role may schedule the data key's deletion"),
    # -- Lambda ---------------------------------------------------------------------------
    change("lambda-permission-scoped", "rest-api-upload-url-invoke", {"sourceArn": DELETE},
           "any API Gateway API may invoke the upload function"),
    change("lambda-supported-runtime", "graph-api-function", {"runtime": "python3.8"}, "a retired runtime"),
    change("lambda-in-vpc", "graph-api-function", {"vpcConfig": DELETE}, "the graph API leaves the VPC",
           deps={"vpcConfig": []}),
    change("lambda-vpc-multi-az", "graph-api-function", {"vpcConfig.subnetIds": ["network-private-0-id"]},
           "the graph API in one subnet", deps={"vpcConfig": ["network-private-0", "network-lambda-sg"]}),
    change("lambda-xray-tracing", "graph-api-function", {"tracingConfig.mode": "PassThrough"}, "no active tracing"),
    change("lambda-failure-destination", "media-thumbnailer-function", {"deadLetterConfig": DELETE},
           "the S3-invoked thumbnailer loses its dead-letter queue", deps={"deadLetterConfig": []}),
    change("lambda-event-source-failure-handling", "notifications-events", {"redrivePolicy": DELETE},
           "the notifier's source queue has no redrive queue", deps={"redrivePolicy": []}),
    change("lambda-reserved-concurrency", "graph-api-function", {"reservedConcurrentExecutions": DELETE},
           "no reserved concurrency"),
    change("lambda-environment-cmk", "graph-api-function", {"kmsKeyArn": DELETE},
           "environment variables on the AWS-managed key", deps={"kmsKeyArn": []}),
    change("lambda-no-secrets-in-environment", "graph-api-function",
           {"environment.variables.NEPTUNE_PASSWORD": "s3cr3t-Passw0rd-prod"}, "a password in the environment"),
    clone("lambda-code-signing", "graph-api-function", "graph-api-function-2",
          "a second function without code signing"),
    add("lambda-url-iam-auth", "aws:lambda/functionUrl:FunctionUrl", "mutant-function-url",
        {"functionName": "social-backend-prod-graph-api", "authorizationType": "NONE"},
        "a public function URL", functionName=["graph-api-function"]),
    change("lambda-explicit-memory-timeout", "graph-api-function", {"memorySize": DELETE}, "the default memory size"),
    with_statement("workload-roles-scoped-to-stack", "graph-api-policy", "policy",
                   allow("s3:GetObject", "arn:aws:s3:::someone-elses-bucket/*"),
                   "the graph API may read a bucket outside this stack"),
    # -- CloudWatch Logs ------------------------------------------------------------------
    change("log-group-kms", "graph-api-logs", {"kmsKeyId": DELETE}, "the graph API's logs unencrypted",
           deps={"kmsKeyId": []}),
    change("log-group-retention", "graph-api-logs", {"retentionInDays": 7}, "a week of logs"),
    drop("declared-log-groups", "graph-api-logs", "the graph API logs to a group AWS creates"),
    # -- SNS, SQS, Secrets Manager --------------------------------------------------------
    change("sns-topic-kms", "audit-delivery-topic", {"kmsMasterKeyId": DELETE}, "an unencrypted topic",
           deps={"kmsMasterKeyId": []}),
    with_statement("sns-topic-policy-not-public", "audit-delivery-topic-policy", "policy",
                   allow("sns:Publish", TRAIL_DELIVERY_TOPIC, Principal="*"), "anyone may publish to the trail topic"),
    edit_doc("sns-topic-tls-only", "audit-delivery-topic-policy", "policy", without_statements(denies),
             "the trail topic accepts publishes without TLS"),
    change("sns-delivery-status-logging", "audit-delivery-topic",
           {"httpFailureFeedbackRoleArn": DELETE, "sqsFailureFeedbackRoleArn": DELETE},
           "the trail topic logs no delivery failures"),
    change("sns-subscription-redrive", "observability-email-0", {"redrivePolicy": DELETE},
           "the on-call subscription has no dead-letter queue", deps={"redrivePolicy": []}),
    change("sqs-queue-encrypted", "notifications-events", {"kmsMasterKeyId": DELETE}, "an unencrypted queue",
           deps={"kmsMasterKeyId": []}),
    with_statement("sqs-queue-policy-not-public", "notifications-events-tls", "policy",
                   allow("sqs:SendMessage", EVENTS_QUEUE, Principal="*"), "anyone may send to the events queue"),
    change("sqs-queue-dead-letter", "notifications-events", {"redrivePolicy": DELETE},
           "the events queue has no dead-letter queue", deps={"redrivePolicy": []}),
    add("secret-cmk", "aws:secretsmanager/secret:Secret", "mutant-secret-aws-key", {"name": "api-token"},
        "a secret on the AWS-managed key"),
    add("secret-policy-not-public", "aws:secretsmanager/secretPolicy:SecretPolicy", "mutant-secret-policy",
        {"secretArn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:api-token",
         "policy": doc({"Statement": [allow("secretsmanager:GetSecretValue", "*", Principal="*")]}),
         "blockPublicPolicy": False},
        "a secret anyone may read"),
    add("secret-rotation", "aws:secretsmanager/secret:Secret", "mutant-secret-no-rotation",
        {"name": "api-token", "kmsKeyId": DATA_KEY}, "a secret that never rotates", kmsKeyId=["keys-data"]),
    # -- Neptune --------------------------------------------------------------------------
    change("neptune-cluster-storage-encrypted", "graph-cluster", {"storageEncrypted": False}, "unencrypted graph storage"),
    change("neptune-cluster-cmk", "graph-cluster", {"kmsKeyArn": DELETE}, "graph storage on the AWS-managed key",
           deps={"kmsKeyArn": []}),
    change("neptune-cluster-audit-log-export", "graph-cluster", {"enableCloudwatchLogsExports": []},
           "audit logs are no longer exported"),
    change("neptune-parameter-group-audit-and-streams", "graph-cluster-params", {"parameters.0.value": "0"},
           "the audit log is switched off in the cluster parameter group"),
    add("neptune-snapshot-encrypted", "aws:neptune/clusterSnapshot:ClusterSnapshot", "mutant-snapshot",
        {"dbClusterIdentifier": "some-unencrypted-cluster", "dbClusterSnapshotIdentifier": "graph-export"},
        "a manual snapshot of a cluster not known to be encrypted"),
    change("neptune-cluster-deletion-protection", "graph-cluster", {"deletionProtection": False},
           "the graph cluster can be deleted"),
    change("neptune-cluster-backup-retention", "graph-cluster", {"backupRetentionPeriod": 1}, "one day of backups"),
    change("neptune-cluster-iam-auth", "graph-cluster", {"iamDatabaseAuthenticationEnabled": False},
           "Neptune without IAM authentication"),
    change("neptune-cluster-copy-tags-to-snapshot", "graph-cluster", {"copyTagsToSnapshot": False},
           "snapshots lose their tags"),
    change("neptune-multi-az-instances", "graph-instance-1", {"availabilityZone": "eu-west-1a"},
           "both graph instances in one AZ"),
    change("neptune-instance-auto-minor-upgrade", "graph-instance-0", {"autoMinorVersionUpgrade": False},
           "no minor upgrades"),
    change("neptune-instance-not-public", "graph-instance-0", {"publiclyAccessible": True}, "a public graph instance"),
    change("neptune-cluster-final-snapshot", "graph-cluster", {"skipFinalSnapshot": True}, "no final snapshot"),
    change("neptune-sg-ingress-from-security-groups", "graph-ingress-from-clients",
           {"cidrIpv4": "10.50.0.0/16", "referencedSecurityGroupId": DELETE}, "Neptune open to the whole VPC CIDR",
           deps={"referencedSecurityGroupId": []}),
    # -- preview-only ---------------------------------------------------------------------
    unknown("preview-unknown-security-inputs", "graph-cluster", "storageEncrypted",
            "graph storage encryption unknown at preview"),
    unknown("preview-unknown-compliance-inputs", "graph-cluster", "deletionProtection",
            "graph deletion protection unknown at preview"),
    unknown("preview-unknown-deployability-inputs", "notifications-scheduler-role", "assumeRolePolicy",
            "the scheduler role's trust policy unknown at preview"),
    # -- Pulumi options -------------------------------------------------------------------
    unprotect("stateful-resources-protected", "graph-cluster", "the graph cluster loses protect=True"),
    # -- S3 -------------------------------------------------------------------------------
    change("s3-bucket-public-access-block", "content-media-public-access", {"blockPublicPolicy": False},
           "the media bucket accepts public policies"),
    add("s3-account-public-access-block", "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "mutant-account-bpa",
        {"blockPublicAcls": False, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True},
        "an account public access block that lets public ACLs through"),
    add("s3-bucket-no-public-acl", "aws:s3/bucketAclV2:BucketAclV2", "mutant-bucket-acl",
        {"bucket": "social-backend-prod-media-123456789012", "acl": "public-read"}, "a public-read ACL on the media bucket",
        bucket=["content-media"]),
    with_statement("s3-bucket-policy-not-public", "content-media-policy", "policy",
                   allow("s3:GetObject", f"{MEDIA}/*", Principal="*"), "anyone may read the media bucket"),
    edit_doc("s3-bucket-tls-only", "content-uploads-policy", "policy", without_statements(denies),
             "the uploads bucket accepts requests without TLS"),
    drop("s3-bucket-access-logging", "content-media-access-logging", "the media bucket loses access logging"),
    change("s3-bucket-owner-enforced", "content-media-ownership", {"rule.objectOwnership": "ObjectWriter"},
           "ACLs are back on the media bucket"),
    change("s3-bucket-lifecycle", "content-media-lifecycle", {"rules.0.abortIncompleteMultipartUpload": DELETE},
           "incomplete multipart uploads are kept forever"),
    change("s3-bucket-sse-kms", "content-media-encryption", {"rules.0.bucketKeyEnabled": False},
           "the media bucket without S3 Bucket Keys"),
    change("s3-bucket-versioning", "content-media-versioning", {"versioningConfiguration.status": "Suspended"},
           "versioning suspended on the media bucket"),
    clone("s3-bucket-mfa-delete", "content-media", "content-media-2", "a second bucket without MFA delete"),
    clone("s3-bucket-replication", "content-media", "content-media-3", "a second bucket without replication"),
    clone("s3-bucket-object-lock", "content-media", "content-media-4", "a second bucket without Object Lock"),
    drop("s3-bucket-event-notifications", "media-uploads-notification", "the uploads bucket stops notifying"),
    # -- VPC ------------------------------------------------------------------------------
    change("vpc-flow-logs", "network-flow-log", {"trafficType": "REJECT"}, "flow logs capture rejected traffic only"),
    change("vpc-default-security-group-closed", "network-default-sg",
           {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]},
           "the default security group admits its members"),
    change("vpc-subnet-no-public-ip", "network-private-0", {"mapPublicIpOnLaunch": True}, "a subnet hands out public IPs"),
    change("sg-no-public-ingress", "network-endpoint-https-from-lambda",
           {"cidrIpv4": "0.0.0.0/0", "referencedSecurityGroupId": DELETE}, "the endpoints admit HTTPS from anywhere",
           deps={"referencedSecurityGroupId": []}),
    change("sg-no-unrestricted-egress", "network-lambda-https-to-endpoints",
           {"cidrIpv4": "0.0.0.0/0", "referencedSecurityGroupId": DELETE}, "the functions may reach any address",
           deps={"referencedSecurityGroupId": []}),
    change("sg-descriptions", "network-lambda-https-to-endpoints", {"description": DELETE},
           "an egress rule without a description"),
    change("sg-no-mixed-rule-management", "network-lambda-sg",
           {"egress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.50.0.0/16"],
                        "description": "HTTPS inside the VPC"}]},
           "the Lambda security group also gets inline rules"),
    add("nacl-no-public-admin-ingress", "aws:ec2/networkAclRule:NetworkAclRule", "mutant-nacl-ssh",
        {"networkAclId": "acl-1", "ruleNumber": 100, "egress": False, "protocol": "tcp", "ruleAction": "allow",
         "cidrBlock": "0.0.0.0/0", "fromPort": 22, "toPort": 22},
        "a network ACL admitting SSH from anywhere"),
    add("vpc-private-subnets-no-internet-route", "aws:ec2/route:Route", "mutant-default-route",
        {"routeTableId": "network-private-rt-0-id", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789"},
        "a default route to an internet gateway in a private route table", routeTableId=["network-private-rt-0"]),
    add("vpc-block-public-access", "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions", "mutant-vpc-bpa",
        {"internetGatewayBlockMode": "off"}, "VPC Block Public Access switched off"),
    change("vpc-interface-endpoint-private", "network-sqs-interface", {"privateDnsEnabled": False},
           "the SQS endpoint without private DNS"),
    change("vpc-endpoint-policy-restrictive", "network-s3-gateway", {"policy": DELETE},
           "the S3 gateway endpoint on the default full-access policy"),
    change("vpc-gateway-endpoints", "network-dynamodb-gateway", {"routeTableIds": ["network-private-rt-0-id"]},
           "the DynamoDB gateway endpoint misses two private route tables",
           deps={"routeTableIds": ["network-private-rt-0"]}),
    add("vpc-no-default-vpc", "aws:ec2/defaultVpc:DefaultVpc", "mutant-default-vpc", {}, "the stack adopts the default VPC"),
    add("vpc-isolated-no-internet-path", "aws:ec2/internetGateway:InternetGateway", "mutant-igw",
        {"vpcId": "network-vpc-id"}, "an internet gateway in the isolated VPC", vpcId=["network-vpc"]),
    # -- WAF ------------------------------------------------------------------------------
    change("wafv2-acl-has-rules", "firewall-acl", {"rules": []}, "a web ACL without rules"),
    change("wafv2-metrics-enabled", "firewall-acl", {"visibilityConfig.cloudwatchMetricsEnabled": False},
           "the web ACL publishes no metrics"),
    change("wafv2-rule-actions", "firewall-acl", {"rules.0.action": DELETE}, "the rate-limit rule without an action"),
    edit("wafv2-known-bad-inputs", "firewall-acl", _pop("rules", 3), "the known-bad-inputs group is removed"),
    edit("wafv2-baseline-rules", "firewall-acl", _pop("rules", 0), "the rate-based rule is removed"),
    add("waf-classic-not-used", "aws:waf/webAcl:WebAcl", "mutant-classic-acl",
        {"name": "classic", "metricName": "classic", "defaultAction": {"type": "ALLOW"}}, "a WAF Classic web ACL"),
    edit("wafv2-acl-blocks", "firewall-acl", _count_rule(3), "the known-bad-inputs group only counts"),
    change("wafv2-rate-limit-bounded", "firewall-acl", {"rules.0.statement.rateBasedStatement.limit": 2000000000},
           "the rate limit raised to the service maximum"),
    change("wafv2-logging", "firewall-logging", {"redactedFields": []}, "WAF logs keep the authorization header"),
    drop("waf-protects-public-apis", "firewall-association-0", "the GraphQL API loses its web ACL"),
)
# fmt: on


# -- running a mutation ----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one mutation did to prod's verdict."""

    mutation: Mutation
    level: str
    #: New findings of the mutation's own policy at the level prod gives it (message list).
    caught: tuple[str, ...]
    #: New findings of the policy at another level (should not happen: the level is config).
    other_level: tuple[str, ...]
    #: Other policies with new findings: policy -> level.
    side_effects: Mapping[str, str]


def finding_key(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule.name, finding.violation.urn, finding.violation.message)


@functools.cache
def prod_config() -> PackConfig:
    return load(STACK)


@functools.cache
def prod_views() -> tuple[Res, ...]:
    """Prod's recorded resources as the packs see them (one offline run for the session)."""
    from offline.flows.evaluate import recorded

    run = recorded(STACK)[0]
    return tuple(res_from_recorded(r) for r in run.resources)


@functools.cache
def baseline(preview: bool) -> Report:
    """The unmutated prod run, exactly as ``policies.check`` evaluates it."""
    return evaluate(prod_views(), stack=STACK, config=prod_config(), preview=preview)


class _ReadTracking(Stack):
    """A stack that records which resource types a stack rule read (or that it read them all).

    Stack rules reach resources only through ``of``/``deps`` (by type), or through
    ``resources``/``by_urn``/``reaches`` (everything). A mutation that touches none of the
    types a rule read cannot change that rule's findings, so the suite re-runs only the stack
    rules that read a touched type (``test_mutations`` checks the shortcut against a full run).
    """

    def __init__(self, resources: Sequence[Res], *, preview: bool) -> None:
        # Stack.__init__ assigns ``resources`` and ``by_urn``, which are read-tracking properties here.
        self._all = list(resources)
        self._index = {r.urn: r for r in self._all}
        self.preview = preview
        self.read: set[str] = set()
        self.everything = False

    @property
    def resources(self) -> list[Res]:  # type: ignore[override]
        self.everything = True
        return self._all

    @property
    def by_urn(self) -> dict[str, Res]:  # type: ignore[override]
        self.everything = True
        return self._index

    def of(self, *types: str) -> list[Res]:
        self.read.update(types)
        wanted = set(types)
        return [r for r in self._all if r.type in wanted]

    def deps(self, res: Res, prop: str, *types: str) -> list[Res]:
        if types:
            self.read.update(types)
        else:
            self.everything = True
        found = [self._index[u] for u in res.deps_of(prop) if u in self._index]
        return [r for r in found if not types or r.type in types]

    def reaches(self, res: Res, target: Res) -> bool:
        self.everything = True
        return super().reaches(res, target)


def _stack_findings(rule: Rule, views: Sequence[Res], preview: bool) -> tuple[list[Finding], _ReadTracking]:
    """One stack rule over ``views`` with prod's level and config, as ``evaluate`` runs it."""
    config = prod_config()
    level = config.level(rule)
    stack = _ReadTracking(views, preview=preview)
    if level == "disabled":
        return [], stack
    found = run_stack_rule(rule, stack, rule.settings(config.config_for(rule)))
    return [Finding(v, level) for v in found if not v.unknown or reports_undecided(preview)], stack


@functools.cache
def baseline_parts(preview: bool) -> tuple[dict[str, list[Finding]], dict[str, tuple[list[Finding], _ReadTracking]]]:
    """Baseline resource findings by URN, and each stack rule's findings with what it read."""
    by_urn: dict[str, list[Finding]] = {}
    for finding in baseline(preview).findings:
        if not finding.rule.is_stack:
            by_urn.setdefault(finding.violation.urn, []).append(finding)
    stack_rules = {r.name: _stack_findings(r, prod_views(), preview) for r in all_rules() if r.is_stack}
    return by_urn, stack_rules


def resolve(mutation: Mutation) -> Res:
    """The one prod resource a mutation names (``type`` decides where names repeat)."""
    found = [
        r
        for r in prod_views()
        if r.name == mutation.target and (r.type == mutation.type if mutation.type else r.type.startswith("aws:"))
    ]
    if len(found) != 1:
        raise LookupError(
            f"mutation of {mutation.policy}: target {mutation.target!r} names {len(found)} prod resources"
            + (f" of type {mutation.type}" if mutation.type else "")
        )
    return found[0]


def mutated(mutation: Mutation) -> tuple[list[Res], list[Res], set[str]]:
    """(all resources after the mutation, the changed or added ones, URNs changed or removed)."""
    views = list(prod_views())
    changed: list[Res] = []
    touched: set[str] = set()
    if mutation.target:
        target = resolve(mutation)
        index = views.index(target)
        touched.add(target.urn)
        if mutation.remove:
            del views[index]
        elif mutation.clone_as:
            touched.discard(target.urn)
            twin = replace(
                target,
                name=mutation.clone_as,
                urn=target.urn.rsplit("::", 1)[0] + "::" + mutation.clone_as,
                props=copy.deepcopy(target.props),
                identifiers=(f"{mutation.clone_as}-id",),
            )
            views.append(twin)
            changed.append(twin)
        else:
            res = target
            if mutation.edit is not None:
                props = copy.deepcopy(target.props)
                mutation.edit(props)
                assert props != target.props, f"mutation of {mutation.policy} changes nothing on {mutation.target}"
                urn_of = {r.name: r.urn for r in views if r.type.startswith("aws:")}
                deps = {**target.property_dependencies, **{k: [urn_of[n] for n in v] for k, v in mutation.deps.items()}}
                res = replace(target, props=props, property_dependencies=deps)
            if mutation.record is not None:
                res = mutation.record(res)
            assert res != target, f"mutation of {mutation.policy} changes nothing on {mutation.target}"
            views[index] = res
            changed.append(res)
    by_name = {r.name: r for r in views if r.type.startswith("aws:")}
    for new in mutation.add:
        deps = {prop: [by_name[n].urn for n in names] for prop, names in new.deps.items()}
        res = Res(
            type=new.type,
            name=new.name,
            urn=new.urn,
            props=copy.deepcopy(new.props),
            parent=None,
            dependencies=sorted({u for us in deps.values() for u in us}),
            property_dependencies=deps,
            identifiers=(f"{new.name}-id",),
        )
        views.append(res)
        changed.append(res)
    return views, changed, touched


def findings_after(mutation: Mutation, *, shortcut: bool = True) -> list[Finding]:
    """Prod's findings after ``mutation``.

    Resource policies run on the changed resources only (every other resource's findings are
    the baseline's); stack policies re-run when they read a type the mutation touches
    (``shortcut=False``: all of them, for the check of that shortcut).
    """
    config = prod_config()
    views, changed, touched = mutated(mutation)
    types = {r.type for r in changed} | {r.type for r in prod_views() if r.urn in touched}
    by_urn, stack_rules = baseline_parts(mutation.preview)
    after: list[Finding] = []
    for rule in all_rules():
        if not rule.is_stack:
            continue
        before, read = stack_rules[rule.name]
        if shortcut and not read.everything and not (read.read & types):
            after += before
        else:
            after += _stack_findings(rule, views, mutation.preview)[0]
    resource_rules = [r for r in all_rules() if not r.is_stack]
    after += evaluate(changed, stack=STACK, config=config, rules=resource_rules, preview=mutation.preview).findings
    after += [f for urn, fs in by_urn.items() if urn not in touched for f in fs]
    return after


def run(mutation: Mutation) -> Outcome:
    """Evaluate prod after ``mutation`` and compare with the unmutated run."""
    before = {finding_key(f) for f in baseline(mutation.preview).findings}
    new = [f for f in findings_after(mutation) if finding_key(f) not in before]
    policy = next(r for r in all_rules() if r.name == mutation.policy)
    level = prod_config().level(policy)
    own = [f for f in new if f.rule.name == mutation.policy]
    side: dict[str, str] = {}
    for f in new:
        if f.rule.name != mutation.policy and side.get(f.rule.name) != "mandatory":
            side[f.rule.name] = f.enforcement
    return Outcome(
        mutation,
        level,
        tuple(f.violation.message for f in own if f.enforcement == level),
        tuple(f.violation.message for f in own if f.enforcement != level),
        side,
    )


# -- the session's tally, for the terminal summary -----------------------------------------

#: policy -> "caught" | "missed", and the classes (mandatory / advisory / preview-only).
RESULTS: dict[str, str] = {}
CLASSES: dict[str, str] = {}
SIDE_EFFECTS: Counter[str] = Counter()


def policy_class(name: str) -> str:
    """mandatory, advisory (by prod's pack config) or preview-only (the preview-unknown-* lists)."""
    if name.startswith("preview-unknown-"):
        return "preview-only"
    rule = next(r for r in all_rules() if r.name == name)
    return "mandatory" if prod_config().level(rule) == "mandatory" else "advisory"


def summary_lines() -> list[str]:
    if not RESULTS:
        return []
    by_class: dict[str, list[str]] = {}
    for name in RESULTS:
        by_class.setdefault(CLASSES[name], []).append(name)
    mandatory = by_class.get("mandatory", [])
    caught = [n for n in mandatory if RESULTS[n] == "caught"]
    rate = 100.0 * len(caught) / len(mandatory) if mandatory else 100.0
    lines = [
        f"mutation suite: {len(caught)}/{len(mandatory)} policies caught ({rate:.1f}%) as new mandatory findings on prod; "
        f"{len(by_class.get('advisory', []))} advisory by prod's pack config and "
        f"{len(by_class.get('preview-only', []))} preview-only counted apart"
        + (f"; {sum(SIDE_EFFECTS.values())} mutation(s) also tripped other policies (warnings)" if SIDE_EFFECTS else "")
    ]
    for name, reason in (
        ("advisory", "advisory in policies/config/<pack>.prod.json, caught as advisory"),
        ("preview-only", "report only at preview (an input unknown), caught at preview"),
    ):
        names = sorted(by_class.get(name, []))
        if names:
            done = sum(RESULTS[n] == "caught" for n in names)
            lines.append(f"  {name} ({reason}): {done}/{len(names)}: {', '.join(names)}")
    missed = sorted(n for n, r in RESULTS.items() if r != "caught")
    if missed:
        lines.append(f"  NOT caught: {', '.join(missed)}")
    return lines
