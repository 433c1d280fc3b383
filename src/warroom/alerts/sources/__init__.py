"""Parsers: one module per protocol, each turning a decoded payload into `AlertIn`s or raising `BadEvent`."""
