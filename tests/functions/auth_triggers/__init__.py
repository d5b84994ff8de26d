"""Tests of functions/auth_triggers."""
