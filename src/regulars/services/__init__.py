"""Use cases. They own no transaction: the edge (API request, CLI command, job) opens the
unit of work, calls a service, and commits."""
