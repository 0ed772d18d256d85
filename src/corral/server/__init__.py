"""The Corral hub: REST API, database, file store, auth and the web UI."""
