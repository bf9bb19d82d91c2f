"""The store: schema and migrations (SQLite or PostgreSQL), the database opener, the run journal."""
