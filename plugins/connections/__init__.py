from ispflow.plugins.connections.deferred_imports import defer, defer_init

# Before any connection module imports paramiko or netmiko.
defer()
defer_init()
