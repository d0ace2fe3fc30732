"""Exactly the classes nbgrader_config.py names (nbgrader's extension points)."""
