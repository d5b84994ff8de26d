"""Delivers notification events: AppSync publish (in-app) and SNS mobile push."""
