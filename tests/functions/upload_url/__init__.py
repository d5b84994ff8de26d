"""Tests of functions/upload_url."""
