"""Supplier search providers. A real supplier API plugs in by implementing `ports.SupplierProvider`."""
