"""The article's large columns (description, signatures, text, HTML) move to the end
of its table on SQLite.

SQLite stores a row's columns in the table's order and keeps what does not fit in
the row's page in a chain of overflow pages, so reading a column that comes after
the text and HTML (the story, the copy it duplicates, the change stamp) meant
reading the whole article first: on every page key of the article page, every
duplicate check and every story query. PostgreSQL keeps large values out of the
row (TOAST), so there only the model's field order changes.
"""

from django.db import migrations, models

from tidings.news.migrations._layout import LARGE, large_columns_last


class Migration(migrations.Migration):
    dependencies = [("news", "0004_article_changed_at")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *(migrations.RemoveField(model_name="article", name=name) for name in LARGE),
                migrations.AddField(
                    model_name="article", name="description", field=models.TextField(blank=True)
                ),
                migrations.AddField(
                    model_name="article",
                    name="signature",
                    field=models.BinaryField(
                        blank=True, default=b"", help_text="near-duplicate signature"
                    ),
                ),
                migrations.AddField(
                    model_name="article",
                    name="story_evidence",
                    field=models.BinaryField(
                        blank=True,
                        default=b"",
                        help_text="the story engine's compact evidence for this article",
                    ),
                ),
                migrations.AddField(model_name="article", name="text", field=models.TextField()),
                migrations.AddField(
                    model_name="article",
                    name="html",
                    field=models.TextField(blank=True, help_text="sanitized article HTML"),
                ),
            ]
        ),
        migrations.RunPython(large_columns_last, migrations.RunPython.noop),
    ]
