"""What every layer may import: errors a user can act on, settings, run outcome types,
JSON safety, the shipped files. It imports no other part of ispflow."""
