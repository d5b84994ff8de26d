"""Tests of functions/devices."""
