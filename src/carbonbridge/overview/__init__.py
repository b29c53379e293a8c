"""The home page: what a regional office opens the platform for, gathered from every context's service."""
