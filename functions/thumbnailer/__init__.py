"""The thumbnailer Lambda function: entry point ``thumbnailer.handler.handler``."""
