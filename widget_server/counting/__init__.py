"""Counting honestly: events, intake, stats, replay, simulation."""
