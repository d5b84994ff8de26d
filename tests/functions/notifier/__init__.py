"""Tests of functions/notifier."""
