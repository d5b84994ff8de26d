"""Generate policies/README.md: how to run the packs, exemptions, and a table of every policy.

python -m policies.docs            # print the README to stdout
python -m policies.docs --write    # rewrite policies/README.md
python -m policies.docs --check    # exit 1 if policies/README.md is stale
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Final

from policies.packconfig import load
from policies.packs import PACK_NAMES
from policies.rules import all_rules

README: Final = Path(__file__).resolve().parent / "README.md"
#: Control ids that are rows or gaps of docs/controls.md, rendered as links from policies/README.md.
CONTROL_ROW: Final = re.compile(r"docs/controls\.md#(c-\d+)")
GAP: Final = re.compile(r"gap:7\.(\d+)")

PROSE: Final = """\
# Policy packs

Three Pulumi policy packs gate every change to the mobile backend, and an offline checker
runs the same rules without the Pulumi CLI. The security and compliance controls are the
numbered rows of [docs/controls.md](../docs/controls.md); every policy below links the rows
it implements (`docs/controls.md#c-<row>`, and `gap:7.<n>` for the checks no other rule set
makes) and names the Security Hub (FSBP), cdk-nag and checkov ids it matches. The
deployability policies have no such ids ("none: gap": no rule set checks them); each names
the AWS documentation page that defines the behaviour it checks.

| pack | directory | covers |
|---|---|---|
| `mobile-backend-security` | `policies/security` | encryption at rest and in transit, least privilege, network exposure |
| `mobile-backend-compliance` | `policies/compliance` | audit and logging, resilience (multi-AZ, backups, deletion protection, failure destinations), hygiene |
| `mobile-backend-deployability` | `policies/deployability` | AWS semantics that fail a deploy or leave a feature silently dead although every resource is secure |

The deployability pack checks how resources work together, as AWS documents it: an SSE-KMS
bucket behind a CloudFront OAC origin whose key policy lets `cloudfront.amazonaws.com`
decrypt; log targets whose encryption the log service can write (S3 server access logs and
Application Load Balancer access logs only to SSE-S3 buckets; CloudFront and vended logs
need a key that admits `delivery.logs.amazonaws.com`); service trust policies whose `aws:SourceArn` is what the
service sends (Scheduler sends the schedule *group* ARN); alarms in the region where their
metric exists (CloudFront, billing and CLOUDFRONT-scope WAF metrics only in us-east-1) with
their SNS actions in the same region; roles that read or write a CMK-encrypted store holding
the KMS permissions the store uses on their behalf; and creation order that AWS validates (a
trail after its bucket and topic policies, an S3 notification after the Lambda permission or
topic / queue policy, a Config delivery channel after its recorder and the recorder status
after the channel). "Depends on" is what the engine does: the resource's dependencies and
property dependencies reach the other resource.

## Layout

- `policies/rules/<service>.py`: the rules, one module per AWS service namespace. A rule is
  a pure function over plain props plus its metadata (`policies.core.resource_rule` /
  `stack_rule`). Importing them starts nothing.
- `policies/packs.py`: assembles the rules into each pack's list of `pulumi_policy` policies.
- `policies/rules/deployability/`: the deployability rules, one module per concern.
- `policies/security/__main__.py`, `policies/compliance/__main__.py`,
  `policies/deployability/__main__.py`: the entry points the
  CLI runs. They only construct the `PolicyPack` (which starts the analyzer and never
  returns). Each puts the repository root (the pack directory's grandparent) on `sys.path`
  so `import policies` works when the CLI runs the pack from its own directory with its
  own virtualenv (`requirements.txt` beside it).
- `policies/check.py`: the offline checker; `policies/evaluate.py`: `evaluate()` for
  in-process use; `policies/state.py`: stack-export reader/writer.
- `policies/config/<pack>.<stack>.json`: per-stack enforcement, in the format
  `pulumi preview --policy-pack-config` reads.

## Running the packs with the Pulumi CLI

```sh
pulumi preview --stack prod \\
  --policy-pack policies/security   --policy-pack-config policies/config/security.prod.json \\
  --policy-pack policies/compliance --policy-pack-config policies/config/compliance.prod.json \\
  --policy-pack policies/deployability --policy-pack-config policies/config/deployability.prod.json
```

The CLI creates each pack's virtualenv from its `requirements.txt` (pulumi-policy and
policy_sentry) on first use. `--policy-pack-config` takes one file per pack, in the order
of the `--policy-pack` flags. `.github/workflows/infrastructure.yml` does this for dev and prod
on every pull request through `pulumi/actions@v7`, whose inputs are `policyPacks` and
`policyPackConfigs` (newline-separated lists, in matching order). The CLI creates a `venv/`
inside each pack directory; keep it out of git.

## Running offline

```sh
python -m policies.check --program . --stack prod                 # text report
python -m policies.check --program . --stack dev --format sarif --output policies.sarif
python -m policies.check --program . --stack prod --write-state prod.json
python -m policies.check --state prod.json --stack prod --format json
```

- `--program DIR` runs the Pulumi Python program under the mock runtime (unknown data-source
  invokes are answered empty and listed as warnings); `--state FILE` reads a
  `pulumi stack export` (version 3; providers and the Stack are skipped; secrets are
  opaque). `--write-state` writes what `--program` recorded in stack-export form.
- `--stack` picks `Pulumi.<stack>.yaml` and `policies/config/*.<stack>.json`. `--config`
  (repeatable) replaces those: each file is one pack's CLI config, or a combined
  `{"security": {...}, "compliance": {...}, "deployability": {...}}` file. With no config at all every policy is
  mandatory.
- Exit status: 0 no mandatory violation, 1 at least one, 2 the input could not be evaluated
  (one line on stderr).
- In Python: `policies.evaluate.evaluate(run.resources, stack=..., config=policies.packconfig.load(stack))`
  returns a `Report` (`report.summary()`, `report.by_urn()`, `report.mandatory`).

## Unknown values at preview (advisory), real values at `up` (mandatory)

During `pulumi preview`, inputs computed from resources that do not exist yet are unknown
(for example a role policy built from a new table's ARN); in a state file, secrets are
opaque. A rule that needs such a value cannot decide and never passes it. What happens
next depends on the engine's phase (`policies.core.reports_undecided`, one mechanism for
every policy):

- at preview (the CLI runs the packs with `PULUMI_DRY_RUN=true`) the rule's own policy
  stays silent and each pack's `preview-unknown-security-inputs` /
  `preview-unknown-compliance-inputs` / `preview-unknown-deployability-inputs` policy
  lists every undecided control ("<policy>: <resource>: <input> is unknown during
  preview, ...") against the resource. Those three are advisory in every stack's config:
  the preview of a new stack or a new function passes and shows what is deferred. A
  control decided at preview (known values) is enforced at its own level.
- during `pulumi up` the engine runs every resource policy again on the real inputs
  before it creates each resource and stops on a mandatory violation; a control still
  undecided then (an opaque secret) fails closed through the rule's own policy. Stack
  policies run after the deployment in `up`, so the offline gate (`python -m
  policies.check`, zero mandatory and zero undecided) decides them before preview and
  before every `up`; `python -m policies.check --preview` lists what the real preview
  will defer and confirms the full run decided each of them.

Joins between resources use property dependencies and URNs, which are known at preview,
so most cross-resource policies still decide (an unknown `policyArn` that depends only
on a stack `aws:iam/policy:Policy` is not an AWS managed policy).

## Exemptions

Exemptions are data in the stack's policy config, never code edits. Every policy accepts:

```json
{
  "lambda-in-vpc": {
    "exemptions": [
      {"resource": "notifier-function", "type": "aws:lambda/function:Function",
       "reason": "calls AppSync and SNS mobile push, which have no VPC endpoints"}
    ]
  }
}
```

`resource` is a URN or the logical name (a `*` glob is allowed); `type` is optional;
`reason` is required and must not be blank. The CLI validates this against each policy's
config schema, and the packs and the checker refuse an exemption without a reason with a
message naming the policy and the entry. Policies with thresholds take them from the same
object (for example `{"log-group-retention": {"minimumRetentionDays": 30}}`).

## Enforcement per stack

- **prod**: everything mandatory, except the deliberate deviations below (advisory in both
  stacks, so they stay visible) and the three `preview-unknown-*` lists of controls
  deferred from preview to `up` (advisory in both stacks, see above).
- **dev**: as prod, but every *resilience* policy is advisory (multi-AZ, deletion protection,
  final snapshots, backups, key deletion windows, `protect`: dev is disposable and sized for
  cost), log retention stays mandatory with a 7-day minimum (explicit retention still bounds
  cost), Cognito MFA may be OPTIONAL (stack config `mfa`, also accepted by the AppSync pool
  check), Cognito threat protection may run in AUDIT mode (the Plus tier is priced per user;
  AUDIT still records risk events), and introspection may stay on. Every deployability policy is
  mandatory in both stacks: a dev stack that cannot work is not a useful dev stack. Encryption, least
  privilege and network exposure are mandatory in dev too: they are cheap and a leak from
  dev is still a leak.

Deliberate deviations (advisory everywhere), with the reason:

| policy | reason |
|---|---|
| `iam-no-inline-policies` | each Lambda has its own role and inline policy: a strict 1:1 lifecycle that AWS recommends inline policies for |
| `appsync-private-visibility` | the GraphQL API serves mobile clients over the internet; WAF and Cognito guard it |
| `cloudfront-geo-restriction` | a global consumer app; cdk-nag rates CFR1 a warning |
| `apigateway-client-certificate` | the REST API's backend is a Lambda proxy integration, not an HTTP backend |
| `apigateway-stage-cache` | upload-URL responses are per user and must not be cached |
| `s3-bucket-mfa-delete` | MFA delete can only be enabled by the root user with an MFA device, outside IaC |
| `s3-bucket-replication` | single-Region design; cross-Region DR is out of scope |
| `s3-bucket-object-lock` | user content must be deletable on request; WORM would prevent it |
| `s3-bucket-event-notifications` | only the uploads bucket has consumers |
| `lambda-code-signing` | no AWS Signer profile in the design yet |
| `cloudfront-origin-failover` | single-Region origins |
| `dynamodb-in-backup-plan` | point-in-time recovery is the backup mechanism |
| `preview-unknown-security-inputs` | lists the security controls an input unknown at preview leaves undecided; `pulumi up` decides each resource policy on real values before the create and the offline gate decides stack policies before preview and `up` |
| `preview-unknown-compliance-inputs` | lists the compliance controls an input unknown at preview leaves undecided; `pulumi up` decides each resource policy on real values before the create and the offline gate decides stack policies before preview and `up` |
| `preview-unknown-deployability-inputs` | lists the deployability controls an input unknown at preview leaves undecided; `pulumi up` decides each resource policy on real values before the create and the offline gate decides stack policies before preview and `up` |

## Not covered, and why

- [Row 5](../docs/controls.md#c-5) (Neptune snapshots not public): sharing a snapshot is an API call
  (`ModifyDBClusterSnapshotAttribute`) that pulumi-aws does not model, so no program or
  state can express it; Security Hub Neptune.3 watches it at runtime.
- [Row 67](../docs/controls.md#c-67) (rotation succeeds, unused secrets removed): runtime facts only.
- [Row 128](../docs/controls.md#c-128) (interface endpoints for EC2 / ECR / SSM): the app runs no EC2, ECR or SSM
  workloads; `vpc-interface-endpoint-private` checks the interface endpoints it does have.
- Rows [38](../docs/controls.md#c-38) and [134](../docs/controls.md#c-134) (cross-account principals): only the wildcard-principal part is
  enforced; the list of trusted accounts is not known to the packs.
- [Gap 7.10](../docs/controls.md#gap-7-10) (sensitive inputs must be Pulumi secrets): values reach policies unwrapped,
  so secretness is not visible; `lambda-no-secrets-in-environment` catches the common case.
- `S3` split resources are checked for both the v7 tokens and the deprecated `...V2`
  tokens; pre-v7 inline bucket properties are not read.

## Policies
"""


def control_link(control_id: str) -> str:
    """A control id as the reader follows it: rows and gaps link to their anchor in docs/controls.md."""
    if CONTROL_ROW.fullmatch(control_id):
        return f"[{control_id.partition('#')[2]}](../{control_id})"
    if gap := GAP.fullmatch(control_id):
        return f"[{control_id}](../docs/controls.md#gap-7-{gap.group(1)})"
    return control_id


def table() -> str:
    prod, dev = load("prod"), load("dev")
    lines = [
        "| pack | policy | severity | prod | dev | description | controls |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in sorted(all_rules(), key=lambda r: (r.pack, r.name)):
        kind = " (stack)" if rule.is_stack else ""
        doc = f" AWS: [{rule.doc_title}]({rule.doc_url})." if rule.doc_url else ""
        lines.append(
            f"| {PACK_NAMES[rule.pack].removeprefix('mobile-backend-')} | `{rule.name}`{kind} | {rule.severity.value} "
            f"| {prod.level(rule)} | {dev.level(rule)} | {rule.description.replace('|', '/')}{doc} | {', '.join(control_link(c) for c in rule.control_ids)} |"
        )
    return "\n".join(lines) + "\n"


def rows_index() -> str:
    """Each row of docs/controls.md with the policies that implement it (the table above, inverted)."""
    by_row: dict[int, list[str]] = {}
    for rule in sorted(all_rules(), key=lambda r: r.name):
        for row in rule.rows:
            by_row.setdefault(row, []).append(f"`{rule.name}`")
    lines = [
        "## Policies by control row",
        "",
        "Rows of [docs/controls.md](../docs/controls.md) that no policy implements are explained in",
        "[Not covered, and why](#not-covered-and-why).",
        "",
        "| row | policies |",
        "|---|---|",
    ]
    lines += [
        f"| {control_link(f'docs/controls.md#c-{row}')} | {', '.join(names)} |" for row, names in sorted(by_row.items())
    ]
    return "\n".join(lines) + "\n"


def render() -> str:
    return PROSE + "\n" + table() + "\n" + rows_index()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--write" in args:
        README.write_text(text, encoding="utf-8")
        return 0
    if "--check" in args:
        current = README.read_text(encoding="utf-8") if README.exists() else ""
        if current != text:
            print("policies/README.md is stale: run python -m policies.docs --write", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
