"""The SQLite layout of the article table: its large columns last (migration 0005 says
why). A migration that adds a column to the table puts them back at the end."""

LARGE = ("description", "signature", "story_evidence", "text", "html")


def large_columns_last(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    # Django's own SQLite table rebuild (as for an altered column); the search
    # triggers dropped with the old table are put back, and the index rebuilt,
    # after migrating (site.apps).
    article = apps.get_model("news", "Article")
    # The rebuild orders columns as their fields were made, and makes the
    # self-reference (``duplicate_of``) afresh, so it would come last of all: passed
    # as altered to themselves, in this order, the self-reference comes before the
    # large columns. (A later rebuild of this table would put it last again:
    # tests/news/test_large_columns_last.py checks the order.)
    pairs = []
    for name in ("duplicate_of", *LARGE):
        field = article._meta.get_field(name)
        again = field.clone()
        again.set_attributes_from_name(name)
        pairs.append((field, again))
    schema_editor._remake_table(article, alter_fields=pairs)
