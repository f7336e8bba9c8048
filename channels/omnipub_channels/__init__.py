"""The built-in omnipub channels: web, mobile, app and signage.

Each is registered under the `omnipub.channels` entry-point group in omnipub's own
pyproject.toml, exactly as a third-party channel package registers its channels.
"""
