"""Command-line commands over the store's records (customers, contracts, field service)."""
