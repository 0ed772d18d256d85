"""HTTP routers, one per resource. Thin: parse, call a service, shape the answer."""
