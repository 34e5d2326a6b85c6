"""Test doubles shipped with the package (tests, benchmarks, demos); the pipeline never imports them.

`abmcts.testing.provider`: an OpenAI-compatible model provider simulator on loopback.
"""
