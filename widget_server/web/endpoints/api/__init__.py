"""The REST API v1: one module per resource, base.py for what they share."""
