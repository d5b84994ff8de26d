"""The engine's phase, and who reports an undecided control in it (one place for both).

A security-critical input that is unknown or opaque leaves its control undecided
(``policies.view.UnknownInput``). Who reports it depends on the engine's phase:

- at preview (``at_preview()``: the engine sets ``PULUMI_DRY_RUN=true``), the rule's own
  policy stays silent and the pack's ``preview-unknown-*-inputs`` policy lists the control,
  the resource and the unknown input (docs/controls.md#c-160; advisory in every stack's config:
  ``pulumi up`` re-runs each resource policy on the real inputs before it creates the
  resource and stops on a mandatory violation, and the offline gate decides stack policies
  before both);
- outside preview every control is decided on real values; a control still undecided
  (an opaque secret, an input unknown during an update) fails closed through the rule's
  own policy, at the rule's own enforcement level.
"""

from __future__ import annotations

import os


def at_preview() -> bool:
    """Is the engine previewing (``pulumi preview``, or the preview step of ``pulumi up``)?

    The CLI starts a policy pack with ``PULUMI_DRY_RUN`` in its environment and
    pulumi_policy configures ``pulumi.runtime`` from it (``_configure_runtime_settings``,
    which also needs ``PULUMI_PROJECT``/``PULUMI_STACK``), so both are read: the variable
    itself when present, ``pulumi.runtime.is_dry_run()`` otherwise. (The engine started
    passing it to packs in pulumi/pulumi#3612 "PaC: Support Config/getProject/getStack/isDryRun";
    pulumi/pulumi#20565 tests it for Python packs. pulumi-policy 1.21 ignores the
    ``dry_run`` of ``ConfigureStack``.) Neither set means "not a preview": undecided controls
    then fail closed, the safe side.
    """
    flag = os.environ.get("PULUMI_DRY_RUN")
    if flag is not None:
        return flag.strip().lower() == "true"
    import pulumi.runtime

    return bool(pulumi.runtime.is_dry_run())


def reports_undecided(preview: bool) -> bool:
    """Does a rule's own policy report its undecided (unknown-input) findings in this phase?

    Not at preview (the pack's ``preview-unknown-*-inputs`` policy lists them, advisory);
    always outside preview, where an undecided control fails closed at the rule's level.
    """
    return not preview
