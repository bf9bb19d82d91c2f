from ispflow.plugins.connections.deferred_imports import defer

# Before any connection module imports paramiko.
defer()
