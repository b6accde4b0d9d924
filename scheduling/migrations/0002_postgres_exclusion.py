"""PostgreSQL only: refuse two active sessions on one chair at overlapping times.

Django has no per-vendor constraint in Meta (an ExclusionConstraint there would break
SQLite), so this operation checks the connection's vendor and does nothing elsewhere.
"""

from django.db import migrations

ACTIVE = "('booked', 'checked_in', 'in_chair', 'completed')"

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE scheduling_session ADD CONSTRAINT session_no_chair_overlap "
    "EXCLUDE USING gist (chair_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
    f"WHERE (status IN {ACTIVE})",
]
DROP = ["ALTER TABLE scheduling_session DROP CONSTRAINT IF EXISTS session_no_chair_overlap"]


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that acts only when the database is PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [PostgresOnlySQL(sql=CREATE, reverse_sql=DROP)]
