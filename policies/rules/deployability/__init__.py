"""The deployability pack: AWS semantics that fail a deploy or silently disable a feature.

Each resource can look "secure" on its own and still never work together with the others:
a key no service principal may use, a log target the log service cannot write, a trust
condition the service never sends, an alarm on a metric that does not exist in its region,
a store its readers cannot decrypt, a resource created before what AWS validates at its
creation. These are stack rules (cross-resource joins through property dependencies and
URNs, which are known at preview even when new resources' ARNs are not); an input they
need that is unknown fails closed through ``preview-unknown-deployability-inputs``.
"""

from __future__ import annotations

from policies.rules.deployability import alarm_regions, cmk_access, creation_order, kms_grants, log_targets, trust

MODULES = (kms_grants, log_targets, trust, alarm_regions, cmk_access, creation_order)
