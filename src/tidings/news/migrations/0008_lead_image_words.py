"""What an article's lead image shows (its alt text) and its caption, with the
credit; on SQLite the large columns move back to the end of the table."""

from django.db import migrations, models

from tidings.news.migrations._layout import large_columns_last


class Migration(migrations.Migration):
    dependencies = [("news", "0007_topic_kind_read")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="lead_image_alt",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="article",
            name="lead_image_caption",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.RunPython(large_columns_last, migrations.RunPython.noop),
    ]
