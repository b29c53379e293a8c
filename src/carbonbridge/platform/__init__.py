"""Settings, database engine and migrations, the FastAPI app mounting every context, authentication
and roles, the web shell and i18n, the CLI root."""
