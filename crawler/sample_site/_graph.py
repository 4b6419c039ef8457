"""The related-reading graph. Over the pool of reachable articles a ring (k -> k+1) keeps
everything reachable from the seed and strided extra links make it a web; pages kept out of
the pool link into it, but nothing in it links back. `reach` walks the graph as a crawler
that follows related links and redirects, and obeys robots.txt, would."""

from __future__ import annotations

from crawler.sample_site._types import DISALLOWED_PREFIX, Page

__all__ = ["link_orphans", "link_pool", "reach"]


def link_pool(pool: list[Page], special_links: dict[int, list[tuple[str, str]]]) -> None:
    """Give each page of the pool 2 to 8 related links: picks from the pool, then the
    (title, href) links `special_links` holds for its index. Every fourth page also gets a
    link inside its second paragraph."""
    m = len(pool)
    for k, page in enumerate(pool):
        n_links = 3 + (k * 5) % 6
        extra = special_links.get(k, [])
        picks: list[Page] = []
        for step in (1, 7 * k + 3, 13 * k + 5, k + m // 2, 3 * k + 11, 5 * k + 2, 11 * k + 1, 2):
            cand = pool[(k + step) % m] if step in (1, 2) else pool[step % m]
            if cand is not page and cand not in picks:
                picks.append(cand)
        picks = picks[: max(2, n_links - len(extra))]
        page.related = [(_label(c), c.text.title, c.path) for c in picks]
        page.related += [("", t, h) for t, h in extra]
        if k % 4 == 1:
            page.body_links[1] = pool[(k + 5) % m].path


def link_orphans(orphans: list[Page], pool: list[Page]) -> None:
    """Four related links into the pool for each page outside it."""
    m = len(pool)
    for j, page in enumerate(orphans):
        picks = [pool[(j * 9 + s) % m] for s in (0, 4, 17, 30)]
        page.related = [(_label(c), c.text.title, c.path) for c in picks]


def reach(seed: str, pages: dict[str, Page], redirects: dict[str, str]) -> set[str]:
    """Article paths reachable from the seed through related links (and redirects)."""
    seen = {seed}
    todo = [seed]
    while todo:
        for _, _, href in pages[todo.pop()].related:
            while href in redirects:
                href = redirects[href]
            if href in pages and href not in seen and not href.startswith(DISALLOWED_PREFIX):
                seen.add(href)
                todo.append(href)
    return seen


def _label(page: Page) -> str:
    """The label a `related`-style block shows before a link: English articles' section."""
    return page.text.section if page.text.language == "en" else ""
