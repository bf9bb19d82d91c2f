"""PPPoE concentrators: API operations rendered from templates, per vendor."""
