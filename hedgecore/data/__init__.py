"""Data edges: market data from exchanges (``exchange``, ``fetch``, ``catalog``) and data files."""
