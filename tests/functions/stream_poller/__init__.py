"""Tests of functions/stream_poller."""
