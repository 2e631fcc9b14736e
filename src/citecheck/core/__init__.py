"""The bottom layer: value types, errors, defaults and configuration. It imports no stage."""
