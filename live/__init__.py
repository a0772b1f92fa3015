"""cardcheck's service: settings, store, sessions, the bus, the rule engine, export, the app and
the command line."""

__version__ = "0.1.0"
