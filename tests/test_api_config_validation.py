"""Bad identity, API, firewall and function config: one line naming the key, nothing registered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import _config, assert_one_line_config_error, dev_config_with


def _function(name: str, **changes: Any) -> dict[str, str]:
    functions = dict(_config("dev")["functions"])
    functions[name] = {**functions[name], **changes}
    return {"social-backend:functions": json.dumps(functions)}


CASES = [
    pytest.param(
        dev_config_with("identity", mfaMode="SMS"),
        "social-backend:identity.mfaMode: must be one of OFF, OPTIONAL, ON; got 'SMS'",
        id="unknown-mfa-mode",
    ),
    pytest.param(
        dev_config_with("identity", threatProtection="FULL"),
        "social-backend:identity.threatProtection: must be one of OFF, AUDIT, ENFORCED; got 'FULL'",
        id="unknown-threat-protection",
    ),
    pytest.param(
        dev_config_with("identity", accessTokenValidityMinutes=2),
        "social-backend:identity.accessTokenValidityMinutes: must be between 5 and 1440, got 2",
        id="access-token-too-short",
    ),
    pytest.param(
        dev_config_with("identity", idTokenValidityMinutes=1441),
        "social-backend:identity.idTokenValidityMinutes: must be between 5 and 1440, got 1441",
        id="id-token-too-long",
    ),
    pytest.param(
        dev_config_with("identity", refreshTokenValidityDays=3651),
        "social-backend:identity.refreshTokenValidityDays: must be between 1 and 3650, got 3651",
        id="refresh-token-too-long",
    ),
    pytest.param(
        dev_config_with("identity", passwordMinLength=6),
        "social-backend:identity.passwordMinLength: must be between 8 and 99, got 6",
        id="short-passwords",
    ),
    pytest.param(
        dev_config_with("identity", blockedEmailDomains=["not a domain"]),
        "social-backend:identity.blockedEmailDomains[0]: must be a lowercase domain name",
        id="bad-domain",
    ),
    pytest.param(
        dev_config_with("identity", mfa="ON"),
        "social-backend:identity: unknown key(s) mfa; allowed:",
        id="identity-typo",
    ),
    pytest.param(
        dev_config_with("graphqlApi", queryDepthLimit=0),
        "social-backend:graphqlApi.queryDepthLimit: must be between 1 and 75, got 0",
        id="depth-limit-off",
    ),
    pytest.param(
        dev_config_with("graphqlApi", queryDepthLimit=76),
        "social-backend:graphqlApi.queryDepthLimit: must be between 1 and 75, got 76",
        id="depth-limit-beyond-appsync",
    ),
    pytest.param(
        dev_config_with("graphqlApi", resolverCountLimit=20000),
        "social-backend:graphqlApi.resolverCountLimit: must be between 1 and 10000, got 20000",
        id="resolver-count-beyond-appsync",
    ),
    pytest.param(
        dev_config_with("graphqlApi", fieldLogLevel="NONE"),
        "social-backend:graphqlApi.fieldLogLevel: must be one of ERROR, INFO, DEBUG, ALL; got 'NONE'",
        id="field-logging-off",
    ),
    pytest.param(
        dev_config_with("graphqlApi", introspection="yes"),
        "social-backend:graphqlApi.introspection: must be true or false, got 'yes'",
        id="introspection-not-boolean",
    ),
    pytest.param(
        dev_config_with("webFirewall", action="ALLOW"),
        "social-backend:webFirewall.action: must be one of COUNT, BLOCK; got 'ALLOW'",
        id="waf-action-not-count-or-block",
    ),
    pytest.param(
        dev_config_with("webFirewall", rateLimit=5),
        "social-backend:webFirewall.rateLimit: must be between 10 and 2000000000, got 5",
        id="waf-rate-limit-too-low",
    ),
    pytest.param(
        _function("graphApi", timeoutSeconds=60),
        "social-backend:functions.graphApi.timeoutSeconds: AppSync waits at most 30 seconds for a Lambda resolver, got 60",
        id="graph-api-timeout-beyond-appsync",
    ),
    pytest.param(
        _function("authTriggers", timeoutSeconds=6),
        "social-backend:functions.authTriggers.timeoutSeconds: Cognito waits at most 5 seconds for a trigger, got 6",
        id="trigger-timeout-beyond-cognito",
    ),
    pytest.param(
        _function("graphApi", memoryMb=64),
        "social-backend:functions.graphApi.memoryMb: must be between 128 and 10240, got 64",
        id="memory-too-small",
    ),
    pytest.param(
        _function("authTriggers", reservedConcurrency=0),
        "social-backend:functions.authTriggers.reservedConcurrency: must be between 1 and 1000, got 0",
        id="reserved-concurrency-zero",
    ),
    pytest.param(
        {"social-backend:functions": json.dumps({"graphApi": {}, "thumbnails": {}})},
        "social-backend:functions: unknown key(s) thumbnails; allowed:",
        id="unknown-function",
    ),
    # Every function's sizing is one shape under functions, checked by one class.
    pytest.param(
        _function("uploadUrl", memoryMb=64),
        "social-backend:functions.uploadUrl.memoryMb: must be between 128 and 10240, got 64",
        id="upload-url-memory",
    ),
    pytest.param(
        _function("uploadUrl", logLevel="TRACE"),
        "social-backend:functions.uploadUrl.logLevel: must be DEBUG, INFO, WARNING or ERROR, got 'TRACE'",
        id="upload-url-log-level",
    ),
    pytest.param(
        _function("thumbnailer", timeoutSeconds=901),
        "social-backend:functions.thumbnailer.timeoutSeconds: must be between 1 and 900, got 901",
        id="thumbnailer-timeout-above-lambdas",
    ),
    # 50 MP images decode in memory: less than 512 MB fails large uploads instead of rendering them.
    pytest.param(
        _function("thumbnailer", memoryMb=256),
        "social-backend:functions.thumbnailer.memoryMb: must be at least 512 MB to decode large images, got 256",
        id="thumbnailer-memory-too-small",
    ),
    pytest.param(
        _function("thumbnailer", logRetentionDays=42),
        "social-backend:functions.thumbnailer.logRetentionDays: must be one of 1, 3, 5",
        id="thumbnailer-log-retention",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), CASES)
def test_bad_config_is_one_line_naming_the_key(overrides: dict[str, str], message: str) -> None:
    assert_one_line_config_error(overrides, message)
