"""``python -m simulation``."""

from simulation.cli import app

app()
