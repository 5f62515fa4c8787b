"""The terminal front end: `python -m bot` and its commands, and the offline console."""
