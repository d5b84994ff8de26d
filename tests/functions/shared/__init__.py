"""Tests of functions/shared."""
