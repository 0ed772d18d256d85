"""Work each hub process does beside answering requests (the change feed)."""
