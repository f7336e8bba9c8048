# Pelican settings for the benchmark corpus (the default theme, no feeds beyond defaults).
AUTHOR = "Bench"
SITENAME = "Bench"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
RELATIVE_URLS = True
STATIC_PATHS = ["images"]
