"""The local stack: the whole system on 127.0.0.1 for make chat and make serve."""
