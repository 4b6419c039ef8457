"""Page analysis: one parse, then typed links, clean text with metadata, language tags.

This is the CPU-bound part of a crawl; it runs in worker processes (see
``crawler.pool``), so everything it takes and returns is picklable.
"""

from __future__ import annotations

import codecs
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from archive.languages import LanguageTags
    from archive.links import Link, LinkRules

__all__ = [
    "ANALYSE_MAXSIZE",
    "MAX_LINKS",
    "ExtractionOptions",
    "HtmlPage",
    "LinksWanted",
    "PageAnalysis",
    "Stage",
    "analyse_html",
    "analyse_pages",
    "extractor_info",
]

LinksWanted = Literal["all", "related", "none"]
#: The parts of an analysis that can fail, as keys of :attr:`PageAnalysis.errors`: decoding
#: and parsing, the link pass, the requisites (images, CSS, scripts...), text extraction,
#: language tagging, and the whole analysis (a worker that died or timed out). A stage's
#: failure costs only what that stage gives.
Stage = Literal["parse", "links", "requisites", "text", "languages", "analysis"]

#: Default of :attr:`ExtractionOptions.max_size` (``WARCLOOM_ANALYSE_MAXSIZE``). A worker
#: (~80 MB) peaks ~100 MB higher on a 2 MiB news page, ~200 MB on 5 MiB, 1.5 GB on 40 MiB,
#: and more on markup dense in elements (trafilatura copies the tree): 2 MiB of a list of
#: links ~200 MB, 5 MiB ~480 MB (``bench/analyse_memory.py``). Almost every HTML page is far
#: smaller than 2 MiB, and its text near the start.
ANALYSE_MAXSIZE = 2 * 1024 * 1024
#: Default of :attr:`ExtractionOptions.max_links`.
MAX_LINKS = 10_000

logger = logging.getLogger(__name__)

# trafilatura, lxml, langdetect and the link typing are imported by analyse_pages, not here:
# the options and the result types travel to processes (export workers reading text from
# the archive's own records) that never analyse a page and should not pay those imports.


@functools.cache
def _trafilatura_version() -> str:
    from importlib.metadata import version

    return version("trafilatura")


def _default_link_rules() -> LinkRules:
    from archive.links import LinkRules

    return LinkRules()


@dataclass(frozen=True)
class ExtractionOptions:
    """Options handed to trafilatura, recorded in every metadata record."""

    favor_precision: bool = False
    favor_recall: bool = False
    include_comments: bool = False
    include_tables: bool = True
    fast: bool = False
    with_text: bool = True
    link_rules: LinkRules = field(default_factory=_default_link_rules)
    links: LinksWanted = "all"  # which links to find: all (typed), related only, or none
    #: bytes of HTML analysed (0: all); the rest is archived but not parsed
    max_size: int = ANALYSE_MAXSIZE
    #: links kept per page (0: all); the link elements beyond are only counted
    max_links: int = MAX_LINKS
    #: whether to list the page's requisites (stylesheets, images, scripts, fonts...)
    requisites: bool = False

    def __post_init__(self) -> None:
        for name in ("max_size", "max_links"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (0: no cap), got {getattr(self, name)}")

    def trafilatura_kwargs(self) -> dict[str, Any]:
        return {
            "favor_precision": self.favor_precision,
            "favor_recall": self.favor_recall,
            "include_comments": self.include_comments,
            "include_tables": self.include_tables,
            "fast": self.fast,
        }


def extractor_info(options: ExtractionOptions) -> dict[str, Any]:
    """Name, version and options of the extractor, as stored in metadata records."""
    return {
        "name": "trafilatura",
        "version": _trafilatura_version(),
        "options": options.trafilatura_kwargs(),
    }


@dataclass(frozen=True)
class PageAnalysis:
    """What a page yields: metadata, clean text, language tags, typed links, and what went
    wrong, per :data:`Stage` (``{"languages": "IndexError: ..."}``), and what was cut to
    bound the memory an analysis takes, per stage as well: the HTML parsed
    (``{"parse": {"bytes": 41943040, "analysed": 2097140}}``, see
    :attr:`ExtractionOptions.max_size`) and the links kept (``{"links": {"kept": 10000,
    "beyond": 90000}}``, see :attr:`ExtractionOptions.max_links`)."""

    charset: str
    links: tuple[Link, ...]
    declared_languages: dict[str, str | None]
    requisites: tuple[str, ...] = ()
    title: str = ""
    author: str = ""
    date: str = ""
    sitename: str = ""
    canonical_url: str = ""
    description: str = ""
    text: str = ""
    languages: LanguageTags | None = None
    errors: dict[Stage, str] = field(default_factory=dict)
    charset_declared: str | None = None  # when it did not fit the bytes and was overridden
    truncated: dict[Stage, dict[str, int]] = field(default_factory=dict)

    @property
    def word_count(self) -> int:
        """Words of the text (:func:`archive.languages.word_count`: CJK by character)."""
        from archive.languages import word_count  # the script tables, loaded when asked

        return word_count(self.text)

    def metadata_fields(self) -> dict[str, Any]:
        """Fields for the metadata record (every value JSON-able)."""
        fields: dict[str, Any] = {
            "title": self.title,
            "author": self.author or None,
            "date": self.date or None,
            "sitename": self.sitename or None,
            "canonical": self.canonical_url or None,
            "charset": self.charset,
            "charset-declared": self.charset_declared,
            "declared-languages": self.declared_languages,
        }
        if self.languages is not None:
            tags = self.languages.to_json()
            fields["languages"] = tags["languages"]
            fields["paragraph-languages"] = tags["paragraphs"]
        fields["links"] = [link.to_json() for link in self.links]
        if self.requisites:
            fields["requisites"] = list(self.requisites)
        if self.errors:
            fields["analysis-errors"] = dict(self.errors)
        if self.truncated:
            fields["analysis-truncated"] = {k: dict(v) for k, v in self.truncated.items()}
        return fields


def describe(exc: BaseException) -> str:
    """An exception as recorded in :attr:`PageAnalysis.errors`: ``"IndexError: message"``."""
    return f"{type(exc).__name__}: {exc}"


def _declared_languages(tree: Any, content_language: str | None) -> dict[str, str | None]:
    html_lang = None
    meta_lang = None
    if tree is not None:
        root = tree.getroottree().getroot()
        html_lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
        for meta in root.iterfind(".//meta[@http-equiv]"):
            if meta.get("http-equiv", "").lower() == "content-language":
                meta_lang = meta.get("content")
                break
    return {"html": html_lang, "meta": meta_lang, "content-language": content_language}


@functools.cache
def _html_parser() -> Any:
    """trafilatura's HTML parser settings (comments and processing instructions dropped, so
    it has less to clean), with lxml's C-level element class lookup instead of lxml.html's
    Python one: every element proxy trafilatura and the link pass make costs a Python call
    less (about 5% of a page's analysis). Elements are ``HtmlElement`` (forms and inputs do
    not get lxml.html's form classes; nothing here uses them)."""
    from lxml import etree
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )
    return parser


def _parse(text: str) -> Any:
    """The document tree of ``text``, repaired as trafilatura repairs what it loads (a
    fragment is wrapped in ``html``/``body``, so its text and links are found too)."""
    from lxml import html as lxml_html
    from trafilatura.utils import repair_faulty_html

    text = repair_faulty_html(text, text[:50].lower())
    try:
        return lxml_html.document_fromstring(text, parser=_html_parser())
    except ValueError:  # a str with an XML encoding declaration: lxml wants bytes
        return lxml_html.document_fromstring(
            text.encode("utf-8", "surrogatepass"), parser=_html_parser()
        )


def _cut_point(body: bytes, limit: int) -> int:
    """Where to cut ``body`` to keep at most ``limit`` bytes of it, looking back at most
    64 KiB: before a ``<`` (no tag cut in two), else before a line break or a space, else on
    a UTF-8 character boundary. Bytes below 0x40 are never part of a multibyte character in
    the ASCII-compatible charsets (UTF-8, EUC-*, GBK, Big5, Shift_JIS), so the cut never
    splits one; a UTF-16 or UTF-32 body with a BOM is cut on a code unit boundary."""
    start = max(0, limit - (64 << 10))
    cut = body.rfind(b"<", start, limit + 1)
    if cut <= 0:
        cut = max(body.rfind(b"\n", start, limit + 1), body.rfind(b" ", start, limit + 1))
    if cut <= 0:
        cut = limit
        while cut > limit - 3 and 0x80 <= body[cut] < 0xC0:  # a UTF-8 continuation byte
            cut -= 1
    if body.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        cut -= cut % 4
    elif body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        cut -= cut % 2
    return cut


class HtmlPage(NamedTuple):
    """An HTML body (content-encoding already removed) and what came with it."""

    body: bytes
    url: str
    content_type: str | None = None
    content_language: str | None = None


def analyse_html(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    content_language: str | None = None,
    options: ExtractionOptions | None = None,
) -> PageAnalysis:
    """Analyse one HTML body: :func:`analyse_pages` of one page."""
    return analyse_pages([HtmlPage(body, url, content_type, content_language)], options)[0]


def analyse_pages(
    pages: Sequence[HtmlPage], options: ExtractionOptions | None = None
) -> list[PageAnalysis]:
    """Analyse HTML pages, stage by stage: every page's parse, then links, text, languages.

    Each page's result is what it would be alone; running each stage over several pages in
    a row keeps that stage's code and data in the CPU caches (a batch of 16 pages analyses
    about 15% faster than the same pages one by one). The charset comes from the
    Content-Type header, a BOM or ``<meta>`` (as Scrapy does), or from detection when the
    declared one does not fit the bytes (:mod:`archive.charset`). Never raises on bad input:
    failures land in ``errors``, and a stage that fails costs the page only what that stage
    gives (links, text, or languages: ``und``). Only the first ``options.max_size`` bytes of
    a body are analysed and ``options.max_links`` links kept (``truncated`` says what was cut):
    every caller (the crawl's workers, export, re-extraction) gets these caps here.
    """
    import trafilatura

    from archive.languages import tag_languages_many
    from archive.links import page_links, page_requisites

    options = options or ExtractionOptions()
    states = [_Analysis(page) for page in pages]
    parsed = [state for state in states if state.parse(options.max_size)]
    if options.links != "none":
        related = options.links == "related"
        for state in parsed:
            try:
                found = page_links(
                    state.tree,
                    state.page.url,
                    options.link_rules,
                    only_related=related,
                    max_links=options.max_links or None,
                )
            except Exception as exc:  # a bug of ours: the text and languages are still due
                state.fail("links", exc)
                continue
            state.links = tuple(found.links)
            if found.beyond:
                state.truncated["links"] = {"kept": len(found.links), "beyond": found.beyond}
    if options.requisites:
        for state in parsed:
            try:
                requisites = page_requisites(state.tree, state.page.url)
            except Exception as exc:  # a bug of ours: the rest of the analysis is still due
                state.fail("requisites", exc)
                continue
            cap = options.max_links or len(requisites)
            state.requisites = tuple(requisites[:cap])
            if len(requisites) > cap:
                state.truncated["requisites"] = {"kept": cap, "beyond": len(requisites) - cap}
    if not options.with_text:
        return [state.finish() for state in states]
    kwargs = options.trafilatura_kwargs()
    tagged = []  # what trafilatura did not fail on (a page without main text is tagged und)
    for state in parsed:
        try:
            state.document = trafilatura.bare_extraction(
                state.tree, url=state.page.url, with_metadata=True, **kwargs
            )
        except Exception as exc:  # trafilatura has no error contract: keep the crawl going
            state.fail("text", exc)
            continue
        if state.document is None:
            state.errors["text"] = "no main text found"
        tagged.append(state)
    paragraphs = [state.paragraphs() for state in tagged]
    try:
        tags = tag_languages_many(paragraphs)
    except Exception:  # which page? each alone tells, with the same tags for the others
        tags = [_tag_alone(state, page) for state, page in zip(tagged, paragraphs, strict=True)]
    for state, page_tags in zip(tagged, tags, strict=True):
        state.tags = page_tags
    return [state.finish() for state in states]


def _tag_alone(state: _Analysis, paragraphs: list[str]) -> LanguageTags:
    """The page's tags, ``und`` (with the error recorded) when tagging raises."""
    from archive.languages import UNDETERMINED, tag_languages_many

    try:
        return tag_languages_many([paragraphs])[0]
    except Exception as exc:  # a bug of ours: the page keeps its text, title and links
        state.fail("languages", exc)
        return UNDETERMINED


class _Analysis:
    """One page on its way through :func:`analyse_pages`."""

    def __init__(self, page: HtmlPage) -> None:
        self.page = page
        self.charset = ""
        self.charset_declared: str | None = None
        self.tree: Any = None
        self.links: tuple[Link, ...] = ()
        self.requisites: tuple[str, ...] = ()
        self.document: Any = None
        self.tags: LanguageTags | None = None
        self.errors: dict[Stage, str] = {}
        self.truncated: dict[Stage, dict[str, int]] = {}
        self.declared = _declared_languages(None, page.content_language)

    def parse(self, max_size: int) -> bool:
        """Decode and parse the first ``max_size`` bytes (0: all); False (with ``error``)
        when there is no document to analyse."""
        from archive.charset import decode_html

        page = self.page
        body = page.body
        if 0 < max_size < len(body):
            cut = _cut_point(body, max_size)
            self.truncated["parse"] = {"bytes": len(body), "analysed": cut}
            body = body[:cut]
        decoded = decode_html(body, page.content_type)
        self.charset = decoded.charset
        if decoded.declared:
            logger.info("%s declares %s but is %s", page.url, decoded.declared, decoded.charset)
            self.charset_declared = decoded.declared
        text = decoded.text.replace("\x00", "")
        try:
            self.tree = _parse(text) if text.strip() else None
        except Exception as exc:  # lxml raises several types on garbage
            self.errors["parse"] = describe(exc)
            return False
        if self.tree is None:
            self.errors["parse"] = "empty document"
            return False
        # before trafilatura, which may prune the tree it is given
        self.declared = _declared_languages(self.tree, page.content_language)
        return True

    def fail(self, stage: Stage, exc: Exception) -> None:
        """Record that ``stage`` raised ``exc`` on this page."""
        logger.warning("Page analysis (%s) failed for %s: %r", stage, self.page.url, exc)
        self.errors[stage] = describe(exc)

    def paragraphs(self) -> list[str]:
        """The extracted text's non-blank lines, as language tagging takes them."""
        text = (self.document.text or "") if self.document is not None else ""
        return [p for p in text.split("\n") if p.strip()]

    def finish(self) -> PageAnalysis:
        analysis = PageAnalysis(
            self.charset,
            self.links,
            self.declared,
            self.requisites,
            languages=self.tags,
            errors=self.errors,
            charset_declared=self.charset_declared,
            truncated=self.truncated,
        )
        document = self.document
        if document is None:
            return analysis
        return replace(
            analysis,
            title=document.title or "",
            author=document.author or "",
            date=document.date or "",
            sitename=document.sitename or "",
            canonical_url=document.url or "",
            description=document.description or "",
            text=document.text or "",
        )
