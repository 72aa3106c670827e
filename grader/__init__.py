"""The sandboxed torch grader: warm pool, jail, trusted judge, HTTP service."""
