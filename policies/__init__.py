"""Policy packs for the mobile backend: rule modules, pack assembly and the offline checker.

``policies.rules`` declares every rule (importable without starting the analyzer);
``policies.packs`` assembles them into the three packs; ``policies/security``, ``policies/deployability`` and
``policies/compliance`` are the directories the Pulumi CLI runs; ``policies.check``
runs the same rules offline.
"""
