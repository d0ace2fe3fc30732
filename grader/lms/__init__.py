"""Intake from learning-management systems: downloads, archives, rosters."""
