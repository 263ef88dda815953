"""PostgreSQL only: indexes for "begins with" on sort names and email addresses.

The search box looks names up by the beginning of their sort name ("smith jo…") and email
addresses by their beginning ("jsmith@…"). PostgreSQL answers LIKE 'prefix%' from a btree
only with a C collation or a *_pattern_ops index; the database's collation may be any.
SQLite uses the plain indexes with a range (constituents/search.py, starts_with)."""

from django.db import migrations

INDEXES = {
    "person_sort_name_prefix": "constituents_person (office_id, sort_name varchar_pattern_ops)",
    "email_prefix": "constituents_emailaddress (office_id, email varchar_pattern_ops)",
    "address_postcode_prefix": "constituents_address (office_id, postcode varchar_pattern_ops)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("constituents", "0005_trigram_search")]

    operations = [migrations.RunPython(forwards, backwards)]
