"""cpbench's service: settings, database, API, web pages and the service's CLI commands."""
