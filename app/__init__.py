"""The candleterm application: command line, main window and the wiring between parts."""
