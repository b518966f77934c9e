"""The coordinators' admin: one module per area, base.py for the guard."""
