"""Scrapy settings of the warcloom project: polite defaults, the archive wired in.

``WARCLOOM_*`` settings are parsed once, into :class:`crawler.config.WarcloomConfig`
(the crawl) and :class:`crawler.archive_source.ReplayOptions` (replay from an archive).
"""

from __future__ import annotations

BOT_NAME = "warcloom"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Politeness: robots.txt, one request at a time per host, a delay, AutoThrottle.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
# DNS answers vetted where they are used: the SSRF guard's resolver (see crawler.safety)
TWISTED_DNS_RESOLVER = "crawler.safety.PublicAddressResolver"

# Capture, archive, SSRF guard, crash-safe frontier and progress, in one line.
ADDONS = {"crawler.addon.WarcloomAddon": 0}

DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 1

WARCLOOM_OUT = "warcloom-data"
WARCLOOM_COLLECTION = "default"
WARCLOOM_CONTACT_URL = "https://github.com/warcloom/warcloom"
# USER_AGENT: "warcloom/<version> (+<WARCLOOM_CONTACT_URL>)", set by the add-on

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
