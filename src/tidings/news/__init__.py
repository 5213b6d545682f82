"""Sources, feeds, articles and stories: the persistent side of ingestion."""
