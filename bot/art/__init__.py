"""Pictures: the bundled cards and users' own pictures at run time (Pillow), and the offline renderer and
vendoring tools that make the cards (`python -m bot render`)."""
