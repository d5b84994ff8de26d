"""Tests of functions/graph_api."""
