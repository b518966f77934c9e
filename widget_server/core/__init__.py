"""Settings, models, errors, signing, logs: what every other part builds on."""
