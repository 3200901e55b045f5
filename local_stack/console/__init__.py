"""The workshop console: talk to the skill from a browser and see each turn (server.py, static/)."""
