"""Enrich: people, organisations and places (spaCy fr_core_news_sm), arrondissements
(the Paris gazetteer) and lemmas for search.

The spaCy model is loaded once per process, on first use, with the dependency parser
disabled (entities and lemmas do not need it; it is about a third of the model's time),
and documents go through ``nlp.pipe`` in batches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

from .document import Document, EntityMention
from .gazetteer import fold, load_gazetteer
from .stages import DocumentStage, Drop

log = logging.getLogger(__name__)

__all__ = ["EnrichOptions", "EnrichStage", "load_nlp"]

ENTITY_LABELS = {"PER", "ORG", "LOC", "MISC"}
# What spaCy reads of one item: long texts cost time and memory and add few new names.
DEFAULT_MAX_CHARS = 12_000
_NLP: dict[str, Any] = {}


@dataclass(frozen=True)
class EnrichOptions:
    model: str = "fr_core_news_sm"
    batch_size: int = 32
    max_chars: int = DEFAULT_MAX_CHARS
    min_place_score: float = 1.0
    max_entities: int = 60


def load_nlp(model: str = "fr_core_news_sm") -> Any:
    """The spaCy pipeline, loaded once per process, without the parts we do not use."""
    if model not in _NLP:
        import spacy

        _NLP[model] = spacy.load(model, disable=["parser"])
        log.info("spaCy %s loaded (%s)", model, ", ".join(_NLP[model].pipe_names))
    return _NLP[model]


class EnrichStage(DocumentStage):
    name = "enrich"
    ahead = True  # reads the title and text only, which dedupe (the session stage before it) never changes
    writes = ("entities", "places", "lemmas")

    def __init__(self, options: EnrichOptions = EnrichOptions()) -> None:
        self.options = options

    def process(self, doc: Document) -> Document:
        result = self.process_many([doc])[0]
        if isinstance(result, Drop):
            raise result
        return result

    def process_many(self, docs: Sequence[Document]) -> list[Document | Drop]:
        nlp = load_nlp(self.options.model)
        gazetteer = load_gazetteer()
        texts = [self._text(doc) for doc in docs]
        results: list[Document | Drop] = []
        for doc, text, parsed in zip(docs, texts, nlp.pipe(texts, batch_size=self.options.batch_size)):
            doc.entities = self._entities(parsed)
            doc.lemmas = " ".join(token.lemma_.lower() for token in parsed
                                  if token.is_alpha and not token.is_space) or None
            doc.places = gazetteer.places(text, min_score=self.options.min_place_score)
            results.append(doc)
        return results

    def _text(self, doc: Document) -> str:
        body = f"{doc.title or ''}\n{doc.text or ''}"
        return body[:self.options.max_chars]

    def _entities(self, parsed: Any) -> list[EntityMention]:
        found: dict[tuple[str, str], EntityMention] = {}
        for ent in parsed.ents:
            if ent.label_ not in ENTITY_LABELS:
                continue
            text = ent.text.strip(" \n\t'’\"«»-–,.;:")
            norm = fold(text)
            if len(norm) < 2 or not any(ch.isalpha() for ch in norm):
                continue
            key = (ent.label_, norm)
            if key in found:
                found[key].count += 1
            else:
                found[key] = EntityMention(ent.label_, text[:300], norm[:300])
        ranked = sorted(found.values(), key=lambda e: (-e.count, e.label, e.norm))
        return ranked[:self.options.max_entities]
