"""omnipub: publish content once to every channel a retailer or brand serves."""

__version__ = "0.1.0"
