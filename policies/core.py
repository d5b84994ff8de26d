"""The rule framework: pure predicates over resources, wrapped into Pulumi policies.

A rule is a plain function plus metadata (name, pack, severity, the control ids it
implements, remediation). Rule modules under ``policies.rules`` only declare rules; the
packs' entry points assemble them, and the offline checker calls the same functions.
Nothing here starts the policy analyzer.

Values are read through ``Res`` views whose props are plain Python data: the engine's
unknown sentinels become ``UNKNOWN`` and state-file secrets become ``SECRET``. A
security-critical value that is unknown (at preview) or opaque (a secret in a state file)
is never treated as compliant: ``Res.req`` raises ``UnknownInput`` and the rule records an
"unknown" (undecided) finding. Who reports it depends on the engine's phase, in one place
(``reports_undecided``):

- at preview (``at_preview()``: the engine sets ``PULUMI_DRY_RUN=true``), the rule's own
  policy stays silent and the pack's ``preview-unknown-*-inputs`` policy lists the control,
  the resource and the unknown input (docs/controls.md#c-160; advisory in every stack's config:
  ``pulumi up`` re-runs each resource policy on the real inputs before it creates the
  resource and stops on a mandatory violation, and the offline gate decides stack policies
  before both);
- outside preview every control is decided on real values; a control still undecided
  (an opaque secret, an input unknown during an update) fails closed through the rule's
  own policy, at the rule's own enforcement level.

This module is the stable import surface (rules, packs, the checker and the tests import
from here); each concern lives in a module of its own, each building on the ones before:

- ``policies.view``: the resource view (``Res``, ``Stack``, ``plain``, ``UNKNOWN``/``SECRET``,
  ``UnknownInput``);
- ``policies.phase``: the engine's phase (``at_preview``) and who reports undecided controls
  in it (``reports_undecided``);
- ``policies.settings``: a policy's own config (parameters, exemptions);
- ``policies.builder``: the rule builder (``Rule``, ``resource_rule``, ``stack_rule``, ``REGISTRY``);
- ``policies.findings``: running one rule into findings (``Violation``, ``run_*_rule``, ``guarded``);
- ``policies.sdk``: the adapters to the Pulumi policy SDK (``to_policy``).
"""

from __future__ import annotations

from policies.builder import (
    COMPLIANCE,
    DEPLOYABILITY,
    PACKS,
    REGISTRY,
    SECURITY,
    CheckResource,
    CheckStack,
    Rule,
    RuleMeta,
    Severity_,
    StackFinding,
    resource_rule,
    stack_rule,
)
from policies.findings import UnknownMessage, Violation, guarded, run_resource_rule, run_stack_rule
from policies.phase import at_preview, reports_undecided
from policies.sdk import res_from_args, stack_from_args, to_policy
from policies.settings import EXEMPTION_SCHEMA, Exemption, Param, PolicyConfigError, Settings, parse_settings
from policies.view import (
    IDENTIFIER_OUTPUTS,
    SECRET,
    SECRET_SIG,
    SECRET_SIG_KEY,
    UNKNOWN,
    Res,
    Stack,
    UnknownInput,
    is_unknown,
    lookup,
    plain,
    urn_type,
)

__all__ = [
    "COMPLIANCE",
    "DEPLOYABILITY",
    "EXEMPTION_SCHEMA",
    "IDENTIFIER_OUTPUTS",
    "PACKS",
    "REGISTRY",
    "SECRET",
    "SECRET_SIG",
    "SECRET_SIG_KEY",
    "SECURITY",
    "UNKNOWN",
    "CheckResource",
    "CheckStack",
    "Exemption",
    "Param",
    "PolicyConfigError",
    "Res",
    "Rule",
    "RuleMeta",
    "Settings",
    "Severity_",
    "Stack",
    "StackFinding",
    "UnknownInput",
    "UnknownMessage",
    "Violation",
    "at_preview",
    "guarded",
    "is_unknown",
    "lookup",
    "parse_settings",
    "plain",
    "reports_undecided",
    "res_from_args",
    "resource_rule",
    "run_resource_rule",
    "run_stack_rule",
    "stack_from_args",
    "stack_rule",
    "to_policy",
    "urn_type",
]
