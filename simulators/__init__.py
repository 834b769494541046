"""Local stand-ins for the external systems (DESIGN.md §9): small HTTP apps on loopback.

The tests and the demo start them in-process; each can be told to fail, time
out or answer otherwise, and records what it received.
"""
