"""Bearer-token middleware: a pure ASGI class (``asgi.py``) and mcpauth's factory module."""
