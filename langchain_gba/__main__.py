"""``python -m langchain_gba``: the ``gba`` command line."""

from langchain_gba.cli import app

if __name__ == "__main__":
    app()
