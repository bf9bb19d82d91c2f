"""Simulated MikroTik PPPoE concentrators speaking the RouterOS API (TCP 8728-style, TLS option)."""
