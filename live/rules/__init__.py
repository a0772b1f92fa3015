"""The rule engine: per-group metrics from events (``metrics``), rules as TOML data
(``rules``, ``rules.toml``), the pure engine deciding flags (``engine``), its shell storing them
(``flags``), grouping suggestions (``grouping``) and the periodic tick for time-based rules
(``ticker``)."""
