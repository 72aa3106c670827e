"""Everything that runs (or prepares to run) inside the jail."""
