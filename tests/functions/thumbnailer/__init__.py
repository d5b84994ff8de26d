"""Tests of functions/thumbnailer."""
