"""The demo region's use cases: loading its organisations, users and credits into a database."""
