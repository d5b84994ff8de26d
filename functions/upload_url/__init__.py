"""The upload_url Lambda function: entry point ``upload_url.handler.handler``."""
