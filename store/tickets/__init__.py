"""Service orders (tickets): one interface, kept in the store or in a Request Tracker 5 server."""
