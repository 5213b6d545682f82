"""Full-text search structures: FTS5 table + sync triggers (SQLite) or a GIN index (PostgreSQL)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from tidings.site.search import ensure_schema

    ensure_schema(schema_editor.connection)


def backwards(apps, schema_editor):
    from tidings.site.search import drop_schema

    drop_schema(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("news", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
