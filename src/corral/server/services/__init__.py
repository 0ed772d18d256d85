"""Domain operations on a session. They flush, never commit: the request owns the transaction."""
