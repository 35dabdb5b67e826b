"""The service's `cpbench` subcommands: running the service, administering it, and using it as a client."""
