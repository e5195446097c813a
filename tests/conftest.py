"""Shared test configuration: Hypothesis profiles.

``dev`` (the default) keeps the suite quick on a laptop; ``ci`` (selected when ``CI=true``)
searches harder. Choose one explicitly with ``HYPOTHESIS_PROFILE=name``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev")
)
