"""The history road: flow metrics of completed work, throughput forecasts and backtests.
It stands beside `sim` and never imports it."""
