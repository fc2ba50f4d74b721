"""Job functions: what the CLI runs once and the scheduler runs on a schedule. Each is idempotent."""
