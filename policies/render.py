"""Render a ``Report`` as text, JSON or SARIF 2.1.0."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from policies.evaluate import Finding, Report
from policies.packs import PACK_NAMES
from policies.rules import all_rules

SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME: Final = "mobile-backend-policies"
TOOL_VERSION: Final = "1.0.0"
_SARIF_LEVEL: Final = {"mandatory": "error", "advisory": "warning"}


def text(report: Report) -> str:
    lines = []
    for finding in sorted(
        report.findings, key=lambda f: (f.enforcement != "mandatory", f.rule.pack, f.rule.name, f.violation.urn)
    ):
        v = finding.violation
        where = f"{v.res_type} {v.res_name}" if v.urn else "stack"
        lines.append(
            f"[{finding.enforcement}] {PACK_NAMES[v.rule.pack]}/{v.rule.name} ({v.rule.severity.value}) {where}"
        )
        lines.append(f"    {v.message}")
        lines.append(f"    controls: {', '.join(v.rule.control_ids)}")
    for warning in report.warnings:
        lines.append(f"warning: {warning}")
    for policy, urn, reason in report.exempted:
        lines.append(f"exempt: {policy} {urn}: {reason}")
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    document = {
        "stack": report.stack,
        "resourceCount": report.resource_count,
        "passed": report.passed,
        "mandatoryCount": len(report.mandatory),
        "advisoryCount": len(report.advisory),
        "violations": [f.as_dict() for f in report.findings],
        "warnings": list(report.warnings),
        "exemptions": [{"policy": p, "urn": u, "reason": r} for p, u, r in report.exempted],
    }
    return json.dumps(document, indent=2) + "\n"


def sarif(report: Report, artifact_uri: str = "Pulumi.yaml") -> str:
    rules = all_rules()
    index = {rule.name: i for i, rule in enumerate(rules)}
    driver_rules = [
        {
            "id": rule.name,
            "name": "".join(part.title() for part in rule.name.split("-")),
            "shortDescription": {"text": rule.description},
            "fullDescription": {"text": rule.description},
            "help": {"text": rule.remediation},
            "properties": {
                "tags": rule.tags,
                "precision": "high",
                "problem.severity": {"low": "recommendation", "medium": "warning"}.get(rule.severity.value, "error"),
                "controlIds": rule.control_ids,
                "pack": PACK_NAMES[rule.pack],
            },
        }
        for rule in rules
    ]
    results: list[dict[str, Any]] = []
    for finding in report.findings:
        v = finding.violation
        location: dict[str, Any] = {
            "physicalLocation": {"artifactLocation": {"uri": artifact_uri}, "region": {"startLine": 1}},
        }
        if v.urn:
            location["logicalLocations"] = [{"fullyQualifiedName": v.urn, "name": v.res_name, "kind": "resource"}]
        results.append(
            {
                "ruleId": v.rule.name,
                "ruleIndex": index[v.rule.name],
                "level": _SARIF_LEVEL.get(finding.enforcement, "note"),
                "message": {"text": v.message},
                "locations": [location],
                "properties": {
                    "enforcement": finding.enforcement,
                    "severity": v.rule.severity.value,
                    "stack": report.stack,
                },
            }
        )
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL_NAME, "version": TOOL_VERSION, "rules": driver_rules}},
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"message": {"text": w}, "level": "warning"} for w in report.warnings
                        ],
                    }
                ],
                "properties": {"stack": report.stack, "resourceCount": report.resource_count},
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


# -- the preview simulation (python -m policies.check --preview) ------------------------------

_UNKNOWN_INPUT: Final = re.compile(r"(\S+) is (?:unknown during preview|an encrypted secret in the state)")


def unknown_input(message: str) -> str:
    """The input path an undecided finding names (``policy`` in "... policy is unknown ...")."""
    match = _UNKNOWN_INPUT.search(message)
    return match.group(1) if match else "?"


@dataclass(frozen=True)
class Deferred:
    """A control the real preview leaves undecided, and what the full offline run decided."""

    finding: Finding
    #: "passes", "violates (<level>)" or "UNDECIDED" in the full offline run.
    offline: str

    def as_dict(self) -> dict[str, Any]:
        v = self.finding.violation
        return {
            "pack": PACK_NAMES[v.rule.pack],
            "policy": v.rule.name,
            "enforcement": self.finding.enforcement,
            "resourceType": v.res_type or None,
            "resourceName": v.res_name or None,
            "urn": v.urn or None,
            "unknownInput": unknown_input(v.message),
            "offline": self.offline,
        }


def preview_markdown(preview: Report, full: Report, deferred: list[Deferred], source: str, passed: bool) -> str:
    """What the real preview will decide and defer, as Markdown (a CI step summary)."""
    undecided = [d for d in deferred if d.offline == "UNDECIDED"]
    lines = [
        f"## Policy preview of stack `{preview.stack}` ({source})",
        "",
        f"- preview: {len(preview.mandatory)} mandatory finding(s) on controls decided from known values; "
        f"{len(deferred)} control(s) an unknown input leaves undecided, listed as advisory and decided by "
        "`pulumi up` before each create",
        f"- full offline run: {full.summary()}",
        f"- every deferred control decided offline: {'yes' if not undecided else f'NO ({len(undecided)} undecided)'}",
        f"- verdict: {'PASS' if passed else 'FAIL'}",
    ]
    if preview.mandatory:
        lines += ["", "### Mandatory at preview", ""]
        lines += [
            f"- `{f.rule.name}` {f.violation.res_name or 'stack'}: {f.violation.message}" for f in preview.mandatory
        ]
    lines += ["", "### Deferred from preview to `pulumi up`", ""]
    if deferred:
        lines += ["| policy | resource | unknown input | offline run |", "|---|---|---|---|"]
        for d in sorted(deferred, key=lambda d: (d.finding.rule.name, d.finding.violation.urn)):
            v = d.finding.violation
            where = f"{v.res_type.rsplit(':', 1)[-1]} `{v.res_name}`" if v.urn else "stack"
            lines.append(f"| `{v.rule.name}` | {where} | `{unknown_input(v.message)}` | {d.offline} |")
    else:
        lines.append("None: the preview decides every control.")
    return "\n".join(lines) + "\n"


def preview_json(preview: Report, full: Report, deferred: list[Deferred], source: str, passed: bool) -> str:
    document = {
        "stack": preview.stack,
        "source": source,
        "passed": passed,
        "previewMandatory": [f.as_dict() for f in preview.mandatory],
        "deferred": [d.as_dict() for d in deferred],
        "offline": {
            "passed": full.passed,
            "mandatoryCount": len(full.mandatory),
            "undecidedCount": len(full.undecided),
        },
    }
    return json.dumps(document, indent=2) + "\n"
