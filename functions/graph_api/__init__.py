"""The graph_api Lambda function: entry point ``graph_api.handler.handler``."""
