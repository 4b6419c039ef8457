"""Pages that need a browser: an article whose text a script fetches as JSON and puts in
place (the raw HTML has almost none), and a page that never finishes loading (its image
stalls halfway). Linked from nowhere: a crawl starts from them (``SCRIPTED_PATHS``), so
the rest of the site and its figures stay as they are."""

from __future__ import annotations

import json

from crawler.sample_site._types import Route, html_route

__all__ = ["SCRIPTED_PATHS", "SCRIPTED_TITLE", "STORY_PARAGRAPHS", "scripted_routes"]

SCRIPTED_PATHS = {
    "article": "/scripted/dye-works.html",
    "json": "/scripted/dye-works.json",
    "never_loads": "/scripted/live-looms.html",
    "stalled_image": "/scripted/live-looms.png",
}
SCRIPTED_TITLE = "Keqiao Dye Works Switch to Rainwater"

STORY_PARAGRAPHS = (
    "The largest dye works in Keqiao has stopped drawing water from the canal and now fills "
    "its vats from rooftop tanks, after two dry summers left the river too low and too warm "
    "for the indigo baths the factory has used since the nineteen eighties.",
    "Engineers spent eleven months fitting gutters, settling ponds and sand filters across "
    "four hectares of roof. The works collects enough rain in an ordinary June to run its "
    "three indigo lines until the end of September without a single delivery.",
    "Buyers from Milan and Osaka were sceptical at first, the plant manager said, because "
    "soft rainwater changes how the dye takes to cotton. After forty trial batches the "
    "colour matched the old samples within the tolerance their contracts allow.",
    "The canal authority welcomed the change and asked three neighbouring mills to study the "
    "same scheme. It estimates that the district could cut its river withdrawals by a fifth "
    "if half of the registered dye houses collected their own rain.",
    "Not everyone is convinced. A cooperative of small print shops says the tanks cost more "
    "than a year of profit for a family business, and it wants the district to pay for "
    "shared cisterns before any rule obliges workshops to stop using the canal.",
)

_ARTICLE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
<article id="story"><p id="loading">Loading the story…</p></article>
<script>
fetch("{json}")
  .then(function (answer) {{ return answer.json(); }})
  .then(function (story) {{
    var article = document.getElementById("story");
    story.paragraphs.forEach(function (text) {{
      var p = document.createElement("p");
      p.textContent = text;
      article.appendChild(p);
    }});
    document.getElementById("loading").remove();
  }});
</script>
</body>
</html>
"""

_NEVER_LOADS = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Looms Live</title></head>
<body>
<h1>Looms Live</h1>
<p>The camera on the weaving floor.</p>
<img src="{image}" alt="the weaving floor" width="640" height="360">
</body>
</html>
"""


def scripted_routes() -> dict[str, Route]:
    """The routes of the scripted pages (see the module's docstring)."""
    paths = SCRIPTED_PATHS
    story = json.dumps({"title": SCRIPTED_TITLE, "paragraphs": STORY_PARAGRAPHS})
    image = b"\x89PNG\r\n\x1a\n" + bytes(4096)  # half of it is sent, then the server waits
    return {
        paths["article"]: html_route(_ARTICLE.format(title=SCRIPTED_TITLE, json=paths["json"])),
        paths["json"]: Route(200, (("Content-Type", "application/json"),), story.encode()),
        paths["never_loads"]: html_route(_NEVER_LOADS.format(image=paths["stalled_image"])),
        paths["stalled_image"]: Route(200, (("Content-Type", "image/png"),), image, "stall"),
    }
