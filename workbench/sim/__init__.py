"""The simulation road: capacity curves, the SimPy model (one generator per actor, appending
records), metrics as pure functions of the event log, Monte Carlo, and the forecast."""
