"""Runtime flows: every interaction the deployed system performs, as data, proven offline.

``model`` holds the declarations components make; ``evaluate`` proves them against the
stack's recorded policies with principalmapper (``offline.iam_engine``).
"""
