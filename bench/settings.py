"""The test settings with bench/urls.py as the URLconf, so the benchmark's
trivial baseline view is served by the same server as the pages and never
by production's URLs."""

from hopefund.settings.test import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
