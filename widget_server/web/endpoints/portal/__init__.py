"""The member portal: one module per area, base.py for the guard."""
