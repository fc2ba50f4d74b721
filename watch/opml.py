"""Source lists as OPML (with our own attributes) or YAML; export then import is lossless.

OPML keeps the standard attributes feed readers know (``text``, ``title``, ``type``,
``xmlUrl`` or ``htmlUrl``) and carries every other field of a source declaration as a
``veille:`` attribute; structured values (listing rules, block rules, the cookie reference)
are JSON. Parsing never resolves entities nor touches the network.
"""

from __future__ import annotations

import json
from typing import Any

import lxml.etree as ET
import yaml

__all__ = ["SourceFileError", "to_opml", "from_opml", "to_yaml", "from_yaml", "NS"]

NS = "https://github.com/assemblee-citoyenne-paris/veille/opml"
# Declaration keys written as plain attributes (strings or booleans); the rest is JSON.
SCALARS = ("kind", "language", "outlet_type", "enabled", "fetch_articles", "user_agent", "notes")


class SourceFileError(Exception):
    """The file cannot be read as a source list; the message says where."""


def to_opml(sources: list[dict[str, Any]], title: str = "Sources de veille") -> str:
    root = ET.Element("opml", version="2.0", nsmap={"veille": NS})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for spec in sources:
        attrs = {"text": spec["name"], "title": spec["name"],
                 "type": "rss" if spec.get("kind", "feed") == "feed" else "link"}
        attrs["xmlUrl" if spec.get("kind", "feed") == "feed" else "htmlUrl"] = spec["url"]
        outline = ET.SubElement(body, "outline", attrs)
        for key, value in spec.items():
            if key in ("name", "url") or value is None:
                continue
            if key in SCALARS:
                outline.set(f"{{{NS}}}{key}", str(value).lower() if isinstance(value, bool) else str(value))
            else:
                outline.set(f"{{{NS}}}{key}", json.dumps(value, ensure_ascii=False, sort_keys=True))
    return ET.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def from_opml(text: str | bytes) -> list[dict[str, Any]]:
    parser = ET.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text, parser)
    except ET.XMLSyntaxError as exc:
        raise SourceFileError(f"not valid OPML: {exc}") from None
    if root.tag != "opml":
        raise SourceFileError(f"not OPML: the root element is <{root.tag}>")
    sources: list[dict[str, Any]] = []
    for n, outline in enumerate(root.iter("outline"), start=1):
        url = outline.get("xmlUrl") or (outline.get("htmlUrl") if outline.get(f"{{{NS}}}kind") == "page" else None)
        if not url:
            continue  # a folder, or a plain link
        spec: dict[str, Any] = {"name": outline.get("title") or outline.get("text") or url, "url": url}
        if outline.get("xmlUrl"):
            spec["kind"] = "feed"
        for attribute, value in outline.attrib.items():
            if not attribute.startswith(f"{{{NS}}}"):
                continue
            key = attribute[len(NS) + 2:]
            if key in SCALARS:
                spec[key] = value == "true" if key in ("enabled", "fetch_articles") else value
            else:
                try:
                    spec[key] = json.loads(value)
                except json.JSONDecodeError:
                    raise SourceFileError(f"outline {n} ({spec['name']}): veille:{key} is not JSON") from None
        sources.append(spec)
    return sources


def to_yaml(sources: list[dict[str, Any]]) -> str:
    return yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False)


def from_yaml(text: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourceFileError(f"not valid YAML: {exc}") from None
    if isinstance(data, dict):
        data = data.get("sources")
    if not isinstance(data, list) or not all(isinstance(s, dict) for s in data):
        raise SourceFileError("a YAML source file is a list of sources, or a mapping with a `sources:` list")
    return data
