"""A local, offline imitation of the Paris press for ``veille demo`` and the tests.

Every fictional outlet of ``corpus/outlets.json`` is served on its own loopback host
(``127.0.0.2``, ``127.0.0.3``, … on one shared port) so that per-host politeness, robots.txt
and cross-host republication behave as they would on the real web. Feed outlets publish RSS 2.0
or Atom 1.0; the ``page`` outlet has no feed, only an HTML listing read with XPath rules.

The corpus holds a few deliberate awkward cases: an ISO-8859-1 outlet, tracking parameters in
feed links, a feed entry without a date, a paywalled article, an article that a partner outlet
lists in its own feed under the original URL, and an article whose title changes when the site
runs with ``edited=True``. The ground truth for all of it is ``corpus/manifest.jsonl``.

Only the standard library and jinja2 are used: the module must run anywhere the tests run.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import jinja2

from .feeds import build_feed

__all__ = ["DemoSite", "Corpus", "load_corpus", "load_manifest", "CORPUS_DIR"]

logger = logging.getLogger(__name__)

CORPUS_DIR = Path(__file__).parent / "corpus"
TEMPLATES_DIR = Path(__file__).parent / "templates"

# An edited article is served as modified this long after publication: late enough that
# Last-Modified and ETag both change, as on a real site correcting a headline the same morning.
EDIT_DELAY = timedelta(hours=2, minutes=35)

MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"]


@dataclass(frozen=True)
class Layout:
    """How one outlet shapes its URLs and pages (the corpus stays free of presentation)."""

    template: str
    article_path: str  # str.format fields: slug, id, num, section, y, m, d, ymd
    feed_path: str | None = None
    listing_path: str | None = None
    tracking: str = ""  # query string the feed appends to article links, as analytics tools do
    guid_permalink: bool = True
    sections: tuple[str, ...] = ("Paris", "Société", "Environnement", "Culture")


LAYOUTS: dict[str, Layout] = {
    "echo-national": Layout("article_press.html", "/paris/article/{y}/{m}/{d}/{slug}_{num}.html",
                            feed_path="/rss/paris.xml", tracking="xtor=RSS-3",
                            sections=("Paris", "Politique", "Société", "Éducation", "Économie")),
    "courrier-idf": Layout("article_press.html", "/paris/{section}/{slug}-{ymd}.php",
                           feed_path="/flux/paris.rss", guid_permalink=False,
                           sections=("Paris", "Île-de-France", "Faits divers", "Sport")),
    "instant-paris": Layout("article_press.html", "/paris/{slug}-{ymd}_{id}",
                            feed_path="/feeds/paris.atom",
                            tracking="utm_source=rss&utm_medium=flux&utm_campaign=paris",
                            sections=("Paris pratique", "Mobilités", "Planète", "Sorties")),
    "radio-seine": Layout("article_radio.html", "/info-locale/{section}/{slug}",
                          feed_path="/podcast-actu/rss.xml",
                          sections=("Info locale", "Quartiers", "Culture", "Sport", "Podcasts")),
    "lutece-infos": Layout("article_city.html", "/actualites/{slug}", feed_path="/feed.atom",
                           sections=("Actualités", "Démarches", "Concertations", "Conseil de Paris")),
    "canal-nord-est": Layout("article_blog.html", "/{y}/{m}/{slug}/", listing_path="/actualites/",
                             sections=("Quartier", "École", "Solidarité", "Nature")),
    "dessous-des-paves": Layout("article_blog.html", "/enquetes/{slug}", feed_path="/atom.xml",
                                sections=("Enquêtes", "Logement", "Urbanisme", "Santé-environnement")),
}
DEFAULT_LAYOUT = Layout("article_press.html", "/articles/{slug}-{id}.html", feed_path="/feed.xml")

# XPath (lxml-only) rules for the listing page; the sidebar repeats some links on purpose,
# so a rule that is too loose yields duplicates.
PAGE_RULES = {
    "item": "//ul[@class='liste-billets']/li",
    "title": "./h2/a",
    "link": "./h2/a/@href",
    "date": "./time/@datetime",
}


@dataclass
class Corpus:
    """The served data: outlets, articles (by id, in file order) and the reader comments pool."""

    outlets: list[dict[str, Any]]
    articles: dict[str, dict[str, Any]]
    comments: list[dict[str, str]] = field(default_factory=list)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> Corpus:
    """Read outlets.json, articles.jsonl and comments.json from ``corpus_dir``."""
    outlets = json.loads((corpus_dir / "outlets.json").read_text(encoding="utf-8"))
    articles = {a["id"]: a for a in _read_jsonl(corpus_dir / "articles.jsonl")}
    comments_path = corpus_dir / "comments.json"
    comments = json.loads(comments_path.read_text(encoding="utf-8")) if comments_path.exists() else []
    return Corpus(outlets=outlets, articles=articles, comments=comments)


def load_manifest(corpus_dir: Path = CORPUS_DIR) -> dict[str, dict[str, Any]]:
    """The ground truth, keyed by article id."""
    return {m["id"]: m for m in _read_jsonl(corpus_dir / "manifest.jsonl")}


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphenated: the slug style of French news sites."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("œ", "oe")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def french_date(dt: datetime) -> str:
    """'5 novembre 2026 à 9 h 15', as printed under French headlines."""
    return f"{dt.day} {MONTHS_FR[dt.month - 1]} {dt.year} à {dt.hour} h {dt.minute:02d}"


class DemoSite:
    """Serve the demo outlets on loopback until ``stop()``; usable as a context manager.

    ``edited`` may also be flipped on a running site: every request reads it. With
    ``use_host_aliases=False`` (or where 127.0.0.N cannot be bound) every outlet is served on
    127.0.0.1 with a port of its own.
    """

    def __init__(self, corpus_dir: Path = CORPUS_DIR, *, edited: bool = False,
                 use_host_aliases: bool = True) -> None:
        self.corpus = load_corpus(corpus_dir)
        self.edited = edited
        self._use_aliases = use_host_aliases
        self._outlets = {o["id"]: o for o in self.corpus.outlets}
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        # Routing tables are built once; the served title is resolved per request.
        self._paths: dict[str, dict[str, str]] = {oid: {} for oid in self._outlets}
        self._article_paths: dict[str, str] = {}
        for art in self.corpus.articles.values():
            path = self._article_path(art)
            if path in self._paths[art["outlet"]]:
                raise ValueError(f"{art['id']} and {self._paths[art['outlet']][path]} share the path {path}")
            self._paths[art["outlet"]][path] = art["id"]
            self._article_paths[art["id"]] = path
        self._env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
                                       autoescape=jinja2.select_autoescape(["html"]),
                                       trim_blocks=True, lstrip_blocks=True)
        self._env.filters["french_date"] = french_date
        self._env.filters["slug"] = slugify

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> DemoSite:
        """Bind every outlet, then serve each in a daemon thread."""
        if self._servers:
            return self
        self._servers = self._bind_all()
        for oid, server in self._servers.items():
            thread = threading.Thread(target=server.serve_forever, name=f"demo-{oid}", daemon=True)
            thread.start()
            self._threads.append(thread)
        logger.info("demo site serving %d outlets, first at %s", len(self._servers),
                    self.base_url(next(iter(self._servers))))
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = {}, []

    def _bind_all(self) -> dict[str, ThreadingHTTPServer]:
        ids = list(self._outlets)
        if self._use_aliases:
            # One port for all aliases: the first bind picks a free port, the others reuse it.
            # A port busy on one alias only means another try; EADDRNOTAVAIL means the OS does not
            # route 127.0.0.0/8 (macOS), so the single-host fallback is the only option.
            for _attempt in range(8):
                servers: dict[str, ThreadingHTTPServer] = {}
                try:
                    port = 0
                    for n, oid in enumerate(ids, start=2):
                        servers[oid] = self._make_server(f"127.0.0.{n}", port, oid)
                        port = servers[oid].server_address[1]
                    return servers
                except OSError as exc:
                    for server in servers.values():
                        server.server_close()
                    if exc.errno == errno.EADDRNOTAVAIL:
                        break
            logger.warning("loopback aliases unavailable; serving all outlets on 127.0.0.1")
        return {oid: self._make_server("127.0.0.1", 0, oid) for oid in ids}

    def _make_server(self, host: str, port: int, outlet_id: str) -> ThreadingHTTPServer:
        handler = type(f"Handler_{outlet_id}", (_Handler,), {"site": self, "outlet_id": outlet_id})
        server = ThreadingHTTPServer((host, port), handler)
        server.daemon_threads = True
        return server

    # -- public lookups --------------------------------------------------------------------

    def base_url(self, outlet_id: str) -> str:
        """``http://127.0.0.N:PORT`` (no trailing slash) of a started outlet."""
        if outlet_id not in self._servers:
            raise RuntimeError(f"outlet {outlet_id!r} is not served: call start() first")
        host, port = self._servers[outlet_id].server_address[:2]
        return f"http://{host}:{port}"

    def outlet(self, outlet_id: str) -> dict[str, Any]:
        return self._outlets[outlet_id]

    def article_path(self, article_id: str) -> str:
        """The path of an article on its outlet's host (the same whatever the port)."""
        return self._article_paths[article_id]

    def article_at(self, outlet_id: str, path: str) -> dict[str, Any] | None:
        article_id = self._paths[outlet_id].get(path)
        return self.corpus.articles[article_id] if article_id else None

    def layout(self, outlet_id: str) -> Layout:
        """URL and template conventions of an outlet (a default for outlets added to the corpus)."""
        return LAYOUTS.get(outlet_id, DEFAULT_LAYOUT)

    def feed_url(self, outlet_id: str) -> str | None:
        """The feed URL, or None for the ``page`` outlet."""
        path = self.layout(outlet_id).feed_path
        return self.base_url(outlet_id) + path if path else None

    def listing_url(self, outlet_id: str) -> str | None:
        """The HTML listing URL of the ``page`` outlet (None for the others)."""
        path = self.layout(outlet_id).listing_path
        return self.base_url(outlet_id) + path if path else None

    def article_url(self, article_id: str) -> str:
        """The clean (canonical) URL of an article, without tracking parameters."""
        art = self.corpus.articles[article_id]
        return self.base_url(art["outlet"]) + self.article_path(article_id)

    def sources(self) -> list[dict[str, Any]]:
        """What the crawler consumes: one dict per outlet, feed URL or listing URL plus rules."""
        result: list[dict[str, Any]] = []
        for oid, outlet in self._outlets.items():
            src: dict[str, Any] = {"name": outlet["name"], "kind": outlet["kind"],
                                   "language": outlet["language"], "outlet_type": outlet["outlet_type"]}
            if outlet["kind"] == "page":
                src["url"] = self.listing_url(oid)
                src["rules"] = dict(PAGE_RULES)
            else:
                src["url"] = self.feed_url(oid)
            result.append(src)
        return result

    # -- content ---------------------------------------------------------------------------

    def _article_path(self, art: dict[str, Any]) -> str:
        pub = datetime.fromisoformat(art["published"])
        return self.layout(art["outlet"]).article_path.format(
            slug=art["slug"], id=art["id"], num=6_100_000 + int(art["id"][1:]) * 37,
            section=slugify(art["section"]), y=f"{pub.year}", m=f"{pub.month:02d}",
            d=f"{pub.day:02d}", ymd=pub.strftime("%Y%m%d"))

    def served_title(self, art: dict[str, Any]) -> str:
        return art["edited_title"] if self.edited and art.get("edited_title") else art["title"]

    def modified_at(self, art: dict[str, Any]) -> datetime:
        pub = datetime.fromisoformat(art["published"])
        return pub + EDIT_DELAY if self.edited and art.get("edited_title") else pub

    def outlet_articles(self, outlet_id: str, *, with_partners: bool = False) -> list[dict[str, Any]]:
        """Newest first; partners' articles republished by this outlet are included on demand."""
        arts = [a for a in self.corpus.articles.values()
                if a["outlet"] == outlet_id or (with_partners and outlet_id in a.get("partners", []))]
        return sorted(arts, key=lambda a: a["published"], reverse=True)

    def related(self, art: dict[str, Any], limit: int = 3) -> list[dict[str, Any]]:
        """'À lire aussi': same outlet, same section first, then the nearest in time."""
        others = [a for a in self.outlet_articles(art["outlet"]) if a["id"] != art["id"]]
        pub = datetime.fromisoformat(art["published"])
        others.sort(key=lambda a: (a["section"] != art["section"],
                                   abs((datetime.fromisoformat(a["published"]) - pub).total_seconds())))
        return others[:limit]

    def comments_for(self, art: dict[str, Any]) -> list[dict[str, str]]:
        """Two or three reader comments, picked deterministically from the pool."""
        pool = self.corpus.comments
        if not pool:
            return []
        seed = int(hashlib.sha256(art["id"].encode()).hexdigest(), 16)
        count = 2 + seed % 2
        return [pool[(seed // 7 + i * 5) % len(pool)] for i in range(count)]

    def render(self, template: str, **context: Any) -> str:
        return self._env.get_template(template).render(**context)


class _Handler(BaseHTTPRequestHandler):
    """Routes one outlet's paths; ``site`` and ``outlet_id`` are set on a per-outlet subclass."""

    site: DemoSite
    outlet_id: str
    server_version = "DemoPress/1.0"
    # HTTP/1.1 keeps connections alive, as real news sites do; every response sets Content-Length.
    protocol_version = "HTTP/1.1"
    # Idle keep-alive connections are dropped after this many seconds, so stopped sites leave no
    # handler threads waiting on a client forever.
    timeout = 30

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        logger.debug("%s %s", self.outlet_id, format % args)

    # -- dispatch --------------------------------------------------------------------------

    def _respond(self, head: bool) -> None:
        # Routing ignores the query string, so ?xtor=… and utm_* links reach the article.
        path = urlsplit(self.path).path
        outlet = self.site.outlet(self.outlet_id)
        layout = self.site.layout(self.outlet_id)
        charset = outlet.get("encoding", "utf-8")
        art = self.site.article_at(self.outlet_id, path)
        status, ctype, text, modified = 404, "text/html", "", None
        if path == "/robots.txt":
            status, ctype, text = 200, "text/plain", "User-agent: *\nDisallow: /admin/\n"
        elif path.startswith("/admin/"):
            status, text = 403, self._error_page(403, "Accès réservé")
        elif layout.feed_path and path == layout.feed_path:
            body, modified, ctype = build_feed(self.site, self.outlet_id)
            self._send(200, ctype, body, modified, head)
            return
        elif path in ("/", layout.listing_path):
            status, (text, modified) = 200, self._listing(outlet)
        elif art is not None:
            status, text, modified = 200, self._article(outlet, art), self.site.modified_at(art)
        elif path.startswith("/media/") and path.endswith(".svg"):
            status, ctype, text = 200, "image/svg+xml", _SVG
        else:
            text = self._error_page(404, "Page introuvable")
        if status != 200:
            ctype = "text/html"
        self._send(status, f"{ctype}; charset={charset}", text.encode(charset, "xmlcharrefreplace"),
                   modified, head)

    def _send(self, status: int, ctype: str, body: bytes, modified: datetime | None, head: bool) -> None:
        headers = {"Content-Type": ctype}
        if status == 200:
            etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
            headers["ETag"] = etag
            if modified is not None:
                headers["Last-Modified"] = format_datetime(modified.astimezone(_UTC), usegmt=True)
            if self._not_modified(etag, modified):
                status, body = 304, b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)

    def _not_modified(self, etag: str, modified: datetime | None) -> bool:
        # RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since counts only without it.
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims and modified is not None:
            try:
                return modified.replace(microsecond=0) <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
        return False

    # -- pages -----------------------------------------------------------------------------

    def _common(self, outlet: dict[str, Any]) -> dict[str, Any]:
        return {"outlet": outlet, "charset": outlet.get("encoding", "utf-8"),
                "sections": self.site.layout(self.outlet_id).sections,
                "body_class": f"outlet-{outlet['id']} type-{outlet['outlet_type']}"}

    def _listing(self, outlet: dict[str, Any]) -> tuple[str, datetime | None]:
        arts = self.site.outlet_articles(self.outlet_id)
        items = [{"title": self.site.served_title(a), "path": self.site.article_path(a["id"]),
                  "published": a["published"], "lead": a["lead"],
                  "date_label": french_date(datetime.fromisoformat(a["published"]))} for a in arts]
        # The sidebar repeats a few entries, as "most read" boxes do.
        popular = items[3:8]
        modified = max((self.site.modified_at(a) for a in arts), default=None)
        html = self.site.render("listing.html", items=items, popular=popular,
                                page_title=f"Derniers billets – {outlet['name']}",
                                description=outlet["description"], **self._common(outlet))
        return html, modified

    def _article(self, outlet: dict[str, Any], art: dict[str, Any]) -> str:
        site, base = self.site, self.site.base_url(self.outlet_id)
        canonical = site.article_url(art["id"])
        pub, modified = datetime.fromisoformat(art["published"]), site.modified_at(art)
        title = site.served_title(art)
        author = art.get("author")
        paywall = bool(art.get("paywall"))
        jsonld = {
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
            "description": art["lead"], "datePublished": pub.isoformat(), "dateModified": modified.isoformat(),
            "author": ({"@type": "Person", "name": author} if author
                       else {"@type": "Organization", "name": outlet["name"]}),
            "publisher": {"@type": "Organization", "name": outlet["name"]},
            "mainEntityOfPage": canonical, "image": f"{base}/media/{art['id']}.svg",
            "articleSection": art["section"], "keywords": art.get("tags", []), "inLanguage": "fr-FR",
            "isAccessibleForFree": not paywall,
        }
        if paywall:
            jsonld["hasPart"] = {"@type": "WebPageElement", "isAccessibleForFree": False,
                                 "cssSelector": ".paywall"}
        related = [{"title": site.served_title(r), "url": site.article_path(r["id"])}
                   for r in site.related(art)]
        return site.render(
            site.layout(self.outlet_id).template, art=art, title=title, page_title=f"{title} – {outlet['name']}",
            description=art["lead"], canonical=canonical, base=base, pub=pub, modified=modified,
            byline=author or "La rédaction", paywall=paywall, related=related,
            comments=site.comments_for(art), image_alt=f"Illustration de la rubrique {art['section']}, à Paris",
            section_slug=slugify(art["section"]),
            jsonld=json.dumps(jsonld, ensure_ascii=True).replace("</", "<\\/"), **self._common(outlet))

    def _error_page(self, status: int, message: str) -> str:
        outlet = self.site.outlet(self.outlet_id)
        return self.site.render("error.html", status=status, message=message,
                                page_title=f"{message} – {outlet['name']}", description=None,
                                **self._common(outlet))


_UTC = timezone.utc
# A neutral placeholder picture: pages reference one image each, as news pages do.
_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="450" viewBox="0 0 800 450">'
        '<rect width="800" height="450" fill="#c9d3dc"/><circle cx="620" cy="120" r="60" fill="#eef2f5"/>'
        '<path d="M0 360 L220 220 L380 330 L520 250 L800 400 L800 450 L0 450 Z" fill="#8fa3b3"/></svg>')



def main(argv: list[str] | None = None) -> int:
    """Serve the demo site until Ctrl-C and print where the feeds are."""
    parser = argparse.ArgumentParser(prog="python -m veille.demo.site",
                                     description="Serve the fictional Paris outlets of the veille demo "
                                                 "on loopback hosts, until Ctrl-C.")
    parser.add_argument("--edited", action="store_true", help="serve the edited version of retitled articles")
    parser.add_argument("--single-host", action="store_true",
                        help="serve every outlet on 127.0.0.1 with one port each (no 127.0.0.N aliases)")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="corpus directory (default: %(default)s)")
    args = parser.parse_args(argv)
    site = DemoSite(args.corpus, edited=args.edited, use_host_aliases=not args.single_host).start()
    for src in site.sources():
        print(f"{src['kind']:4}  {src['url']}  {src['name']}")
    print("Ctrl-C to stop.")
    try:
        while True:  # sleep() is interrupted by Ctrl-C on every platform; a bare Event.wait() is not
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
