"""Entry point the Pulumi CLI runs for the deployability pack: it only assembles the pack.

The rules live in the repository's ``policies`` package; this directory's grandparent
(the repository root) is put on sys.path so the CLI can run the pack from here with
its own virtualenv (see requirements.txt).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.packs import PACK_DESCRIPTIONS, PACK_NAMES, policies_of

PolicyPack(
    name=PACK_NAMES["deployability"],
    description=PACK_DESCRIPTIONS["deployability"],
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies_of("deployability"),
)
