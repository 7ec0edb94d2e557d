"""Run the CLI as `python -m clinch`."""

from clinch.cli import main

main()
