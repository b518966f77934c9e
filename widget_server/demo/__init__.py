"""The demo network: its invented businesses and how they are seeded."""
