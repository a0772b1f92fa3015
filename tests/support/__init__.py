"""Helpers the tests share: seeded stores, servers, frames and the error-shape check."""
