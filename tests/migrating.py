"""For tests of a data migration: move the test database's schema to a
migration and read the models as they were there (the fixture
latest_schema_afterwards, in tests/conftest.py, moves it back)."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets=None):
    """Migrate to `targets` (None: every app's latest) and return the
    models as they are there."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps
