"""The auth_triggers Lambda function: entry point ``auth_triggers.handler.handler``."""
