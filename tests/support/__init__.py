"""Test support shared by every suite: sockets, threads, probes, race amplification.

Build a tool here once and use it from every suite that needs it; never copy
one between suites.
"""
