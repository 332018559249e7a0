"""The scenario file format: frozen models, distributions, the calendar, loading (extends,
overrides, history samples) and the rules that make a file right or wrong."""
