"""PostgreSQL only: pg_trgm and a GIN trigram index on Person.search_text, which answers the
search box's LIKE '%word%' queries (constituents/search.py). SQLite scans instead."""

from django.db import migrations

INDEX = "person_search_text_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON constituents_person "
        "USING gin (search_text gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("constituents", "0004_search_keys")]

    operations = [migrations.RunPython(forwards, backwards)]
