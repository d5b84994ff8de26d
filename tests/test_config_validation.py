"""Bad config stops the program before any resource exists, with one line naming the key."""

from __future__ import annotations

import dataclasses

import pytest

from components.config_loader import MOVED, SECTIONS, StackSettings, snake
from components.graph_database import GraphDatabaseSettings
from components.keys import KeysArgs
from components.network import NetworkSettings
from components.validation import LOG_RETENTION_DAYS, ArgsError
from offline import config_docs
from tests.conftest import assert_one_line_config_error, dev_config_with

CASES = [
    pytest.param(
        dev_config_with("network", azCount=1),
        "social-backend:network.azCount: must be between 2 and 6, got 1",
        id="az-count-below-2",
    ),
    pytest.param(
        dev_config_with("network", azCount=7),
        "social-backend:network.azCount: must be between 2 and 6, got 7",
        id="az-count-above-6",
    ),
    pytest.param(
        dev_config_with("graphDb", instanceCount=3),
        "social-backend:graphDb.instanceCount: 3 instances need 3 distinct AZs but the network spans 2",
        id="more-instances-than-azs",
    ),
    pytest.param(
        dev_config_with("network", cidrBlock="10.40.0.0/33"),
        "social-backend:network.cidrBlock: must be an IPv4 CIDR block",
        id="malformed-cidr",
    ),
    pytest.param(
        dev_config_with("network", cidrBlock="10.40.0.1/16"),
        "social-backend:network.cidrBlock: must be an IPv4 CIDR block",
        id="host-bits-set",
    ),
    pytest.param(
        dev_config_with("network", cidrBlock="8.8.0.0/16"),
        "social-backend:network.cidrBlock: must be a private",
        id="public-cidr",
    ),
    pytest.param(
        dev_config_with("network", cidrBlock="10.0.0.0/8"),
        "social-backend:network.cidrBlock: prefix length must be between /16 and /24",
        id="cidr-too-big",
    ),
    pytest.param(
        dev_config_with("network", subnetPrefixLength=16),
        "social-backend:network.subnetPrefixLength: must be between 17 and 28",
        id="subnet-not-smaller",
    ),
    pytest.param(
        dev_config_with("network", flowLogRetentionDays=42),
        "social-backend:network.flowLogRetentionDays: must be one of 1, 3, 5",
        id="retention-not-allowed",
    ),
    pytest.param(
        dev_config_with("graphDb", auditLogRetentionDays=5000),
        "social-backend:graphDb.auditLogRetentionDays: must be one of",
        id="audit-retention",
    ),
    pytest.param(
        dev_config_with("graphDb", backupRetentionDays=36),
        "social-backend:graphDb.backupRetentionDays: must be between 1 and 35, got 36",
        id="backup-retention",
    ),
    pytest.param(
        dev_config_with("graphDb", streamsExpiryDays=91),
        "social-backend:graphDb.streamsExpiryDays: must be between 1 and 90",
        id="streams-expiry",
    ),
    pytest.param(
        dev_config_with("keys", deletionWindowDays=3),
        "social-backend:keys.deletionWindowDays: must be between 7 and 30, got 3",
        id="key-window",
    ),
    pytest.param(
        dev_config_with("network", azcount=2),
        "social-backend:network: unknown key(s) azcount; allowed: azCount",
        id="unknown-key",
    ),
    pytest.param(
        dev_config_with("network", azCount="two"),
        "social-backend:network.azCount: must be an integer, got 'two'",
        id="wrong-type",
    ),
    pytest.param(
        dev_config_with("graphDb", deletionProtection="yes"),
        "social-backend:graphDb.deletionProtection: must be true or false",
        id="wrong-bool",
    ),
    pytest.param(
        dev_config_with("graphDb", engineVersion="1.1.1.0"),
        "social-backend:graphDb.engineVersion: must be a pinned Neptune engine version 1.2.0.0 or later",
        id="old-engine",
    ),
    pytest.param(
        dev_config_with("graphDb", engineVersion="latest"),
        "social-backend:graphDb.engineVersion:",
        id="unpinned-engine",
    ),
    pytest.param(
        dev_config_with("graphDb", instanceClass="db.r6g.large"),
        "social-backend:graphDb.serverless: serverless scaling and instance class db.serverless go together",
        id="serverless-class-mismatch",
    ),
    pytest.param(
        dev_config_with("graphDb", serverless={"minCapacity": 0.3, "maxCapacity": 4}),
        "social-backend:graphDb.serverless.minCapacity: must be between 1 and 128 NCUs in steps of 0.5, got 0.3",
        id="serverless-capacity",
    ),
    pytest.param(
        dev_config_with("graphDb", serverless={"minCapacity": 8, "maxCapacity": 4}),
        "social-backend:graphDb.serverless.minCapacity: 8.0 is above the maximum capacity 4.0",
        id="serverless-min-above-max",
    ),
    pytest.param(
        dev_config_with("graphDb", preferredBackupWindow="2am"),
        "social-backend:graphDb.preferredBackupWindow: must look like hh:mm-hh:mm",
        id="backup-window",
    ),
    pytest.param(
        dev_config_with("auditTrail", logRetentionDays=42),
        "social-backend:auditTrail.logRetentionDays: must be one of 1, 3, 5",
        id="trail-log-retention",
    ),
    pytest.param(
        dev_config_with("auditTrail", objectLock={"mode": "COMPLIANCE", "days": 400}),
        "social-backend:auditTrail.objectLock.days: 400 days of retention outlast lifecycle.expireAfterDays (180)",
        id="object-lock-outlasts-expiry",
    ),
    pytest.param(
        dev_config_with("auditTrail", objectLock={"mode": "FOREVER", "days": 30}),
        "social-backend:auditTrail.objectLock.mode: must be one of GOVERNANCE, COMPLIANCE",
        id="object-lock-mode",
    ),
    pytest.param(
        dev_config_with(
            "auditTrail", lifecycle={"infrequentAccessAfterDays": 30, "glacierAfterDays": 20, "expireAfterDays": 90}
        ),
        "social-backend:auditTrail.lifecycle.glacierAfterDays: must be between 31 and 36500, got 20",
        id="lifecycle-order",
    ),
    pytest.param(
        dev_config_with("observability", emailEndpoints=[""]),
        "social-backend:observability.emailEndpoints: entry 0 must be an email address, got ''",
        id="empty-email-endpoint",
    ),
    pytest.param(
        dev_config_with("observability", httpsEndpoints=["http://hooks.example.com"]),
        "social-backend:observability.httpsEndpoints: entry 0 must be an https:// URL",
        id="plain-http-endpoint",
    ),
    pytest.param(
        dev_config_with("observability", thresholds={"neptuneCpuPercent": 150}),
        "social-backend:observability.thresholds.neptuneCpuPercent: must be a percentage between 0 and 100, got 150",
        id="threshold-percent",
    ),
    pytest.param(
        dev_config_with("observability", thresholds={"lambdaErrors": 0}),
        "social-backend:observability.thresholds.lambdaErrors: must be a positive number, got 0",
        id="threshold-not-positive",
    ),
    pytest.param(
        dev_config_with("observability", thresholds={"periodSeconds": 90}),
        "social-backend:observability.thresholds.periodSeconds: must be a multiple of 60, got 90",
        id="threshold-period",
    ),
    pytest.param(
        dev_config_with("compliance", deliveryFrequency="Daily"),
        "social-backend:compliance.deliveryFrequency: must be one of One_Hour",
        id="delivery-frequency",
    ),
    pytest.param(
        dev_config_with("compliance", minimumLogRetentionDays=42),
        "social-backend:compliance.minimumLogRetentionDays: must be one of 1, 3, 5",
        id="rule-retention",
    ),
    # Function sizing moved under functions: a stack file still using an old key is told where
    # it went, never silently sized with the default.
    pytest.param(
        dev_config_with("uploads", reservedConcurrency=10),
        "social-backend:uploads.reservedConcurrency: moved to social-backend:functions.uploadUrl.reservedConcurrency",
        id="moved-upload-url-concurrency",
    ),
    pytest.param(
        dev_config_with("uploads", logRetentionDays=30),
        "social-backend:uploads.logRetentionDays: moved to social-backend:functions.uploadUrl.logRetentionDays",
        id="moved-upload-url-retention",
    ),
    pytest.param(
        dev_config_with("thumbnails", memoryMb=2048),
        "social-backend:thumbnails.memoryMb: moved to social-backend:functions.thumbnailer.memoryMb",
        id="moved-thumbnailer-memory",
    ),
    pytest.param(
        dev_config_with("thumbnails", timeoutSeconds=60),
        "social-backend:thumbnails.timeoutSeconds: moved to social-backend:functions.thumbnailer.timeoutSeconds",
        id="moved-thumbnailer-timeout",
    ),
    pytest.param(
        dev_config_with("thumbnails", reservedConcurrency=5),
        "social-backend:thumbnails.reservedConcurrency: moved to social-backend:functions.thumbnailer.reservedConcurrency",
        id="moved-thumbnailer-concurrency",
    ),
    pytest.param(
        dev_config_with("thumbnails", logRetentionDays=30),
        "social-backend:thumbnails.logRetentionDays: moved to social-backend:functions.thumbnailer.logRetentionDays",
        id="moved-thumbnailer-retention",
    ),
    pytest.param(
        dev_config_with("notifications", notifierTimeoutSeconds=60),
        "social-backend:notifications.notifierTimeoutSeconds: moved to social-backend:functions.notifier.timeoutSeconds",
        id="moved-notifier-timeout",
    ),
    pytest.param(
        dev_config_with("notifications", logRetentionDays=30),
        "social-backend:notifications.logRetentionDays: moved to social-backend:functions.streamPoller.logRetentionDays"
        " and social-backend:functions.notifier.logRetentionDays and social-backend:functions.devices.logRetentionDays",
        id="moved-notifications-retention",
    ),
    # The poller is the stream's only reader: a second concurrent one would race the lease.
    pytest.param(
        dev_config_with("functions", streamPoller={"reservedConcurrency": 2}),
        "social-backend:functions.streamPoller.reservedConcurrency: must be 1: one stream reader at a time, got 2",
        id="poller-one-reader",
    ),
    pytest.param(
        dev_config_with("functions", notifier={"timeoutSeconds": 200}),
        "social-backend:functions.notifier.timeoutSeconds: must be between 5 and 150",
        id="notifier-timeout-range",
    ),
    # The APNs identifiers without the signing key (a secret) would create no APNs application.
    pytest.param(
        dev_config_with("notifications", apns={"keyId": "ABC123DEFG", "teamId": "TEAM123456", "bundleId": "com.x"}),
        "social-backend:notifications.apns: set both notifications.apns {keyId, teamId, bundleId} "
        "and the secret apnsSigningKey, or neither",
        id="apns-without-signing-key",
    ),
    pytest.param(
        {"social-backend:network": '"big"'}, "social-backend:network: must be an object", id="section-not-object"
    ),
    pytest.param(
        {"social-backend:tags": '["a"]'}, "social-backend:tags: must be a map of strings to strings", id="tags-not-map"
    ),
]


@pytest.mark.parametrize(("overrides", "message"), CASES)
def test_bad_config_is_one_line_naming_the_key(overrides: dict[str, str], message: str) -> None:
    assert_one_line_config_error(overrides, message)


def test_region_with_too_few_zones() -> None:
    settings = NetworkSettings(az_count=3)
    with pytest.raises(ArgsError, match="az_count: the region offers 2 availability zones, 3 requested"):
        settings.select_zones(["eu-west-1a", "eu-west-1b"])
    assert settings.select_zones(["a", "b", "c", "d"]) == ["a", "b", "c"]


def test_every_allowed_log_retention_is_accepted() -> None:
    for days in LOG_RETENTION_DAYS:
        assert NetworkSettings(flow_log_retention_days=days).flow_log_retention_days == days


def test_defaults_are_the_secure_choice() -> None:
    graph = GraphDatabaseSettings()
    assert graph.deletion_protection and graph.final_snapshot and graph.protect
    assert graph.instance_count >= 2 and graph.backup_retention_days >= 7
    assert NetworkSettings().flow_log_retention_days >= 365
    assert KeysArgs.__dataclass_fields__["protect"].default is True


def test_the_config_docs_document_the_loaders_sections() -> None:
    """One section list: what the program reads is what the configuration table documents."""
    documented_sections = {key.split(".")[0] for key, _, _ in config_docs.rows()} - {"aws:region", "tags"}
    assert documented_sections == set(SECTIONS)
    assert [f.name for f in dataclasses.fields(StackSettings)] == [snake(key) for key in SECTIONS]
    # Every moved key names a key that exists at its new place, and is gone from its old one.
    documented = {key for key, _, _ in config_docs.rows()}
    for old, new in MOVED.items():
        assert set(new) <= documented and old not in documented, (old, new)


def test_a_partial_function_object_keeps_that_functions_own_defaults() -> None:
    """``functions.thumbnailer: {logRetentionDays: 30}`` changes the retention only: the
    thumbnailer keeps its 2048 MB (the generic 256 MB would be refused as too small to decode
    large images), and the poller keeps its one reader."""
    from components.config_loader import load_section
    from components.python_function import FunctionsSettings

    class StackFile:  # what load_section reads of pulumi.Config
        name = "social-backend"

        def get_object(self, key: str) -> object:
            assert key == "functions"
            return {"thumbnailer": {"logRetentionDays": 30}, "streamPoller": {"timeoutSeconds": 60}}

    settings = load_section(StackFile(), "functions", FunctionsSettings)  # type: ignore[arg-type]
    defaults = FunctionsSettings()
    assert settings.thumbnailer.log_retention_days == 30
    assert settings.thumbnailer.memory_mb == defaults.thumbnailer.memory_mb == 2048
    assert (settings.stream_poller.timeout_seconds, settings.stream_poller.reserved_concurrency) == (60, 1)
