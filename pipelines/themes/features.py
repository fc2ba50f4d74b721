"""Features of one item: TF-IDF of stems and stem pairs, TF-IDF of character n-grams, and
one lexicon score per theme group (plus the off-theme cues).

The word part carries the vocabulary the training data teaches; character n-grams catch
spellings and compounds the stems split badly (``coronapiste``, ``végétalisé·e·s``); the
lexicon scores carry the codebook's knowledge to words the training data never shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .lexicon import GROUPS, GroupMatch, Lexicon
from .text import Normalised


@dataclass(frozen=True)
class FeatureOptions:
    word_min_df: int = 2
    word_max_df: float = 0.5  # stems in more than half the items are function words here
    char_ngrams: tuple[int, int] = (3, 5)
    char_max_features: int = 60_000
    lexicon_scale: float = 1.0


def _joined_stems(doc: Normalised) -> str:
    return " ".join(doc.stems)


def _folded(doc: Normalised) -> str:
    return doc.folded


def lexicon_vector(matches: dict[str, GroupMatch], scale: float) -> list[float]:
    # log: the fifth matching term adds less than the first; 1 ≈ one strong term.
    return [scale * math.log1p(matches[group].score) / math.log1p(3.0) for group in GROUPS]


class FeatureBuilder:
    """Fitted on the training items; transforms any item the same way afterwards."""

    def __init__(self, lexicon: Lexicon, options: FeatureOptions = FeatureOptions()) -> None:
        self.lexicon = lexicon
        self.options = options
        self.words = TfidfVectorizer(preprocessor=_joined_stems, tokenizer=str.split, token_pattern=None,
                                     lowercase=False, ngram_range=(1, 2), min_df=options.word_min_df,
                                     max_df=options.word_max_df, sublinear_tf=True, dtype=np.float32)
        self.chars = TfidfVectorizer(preprocessor=_folded, analyzer="char_wb", lowercase=False,
                                     ngram_range=options.char_ngrams, min_df=2,
                                     max_features=options.char_max_features, sublinear_tf=True,
                                     dtype=np.float32)

    def fit(self, docs: Sequence[Normalised]) -> "FeatureBuilder":
        self.words.fit(docs)
        self.chars.fit(docs)
        self.word_names = self.words.get_feature_names_out()
        return self

    @property
    def n_word(self) -> int:
        return len(self.word_names)

    @property
    def n_char(self) -> int:
        return len(self.chars.vocabulary_)

    @property
    def lexicon_offset(self) -> int:
        return self.n_word + self.n_char

    def transform(self, docs: Sequence[Normalised],
                  matches: Sequence[dict[str, GroupMatch]] | None = None) -> sparse.csr_matrix:
        if matches is None:
            matches = [self.lexicon.match(doc.stems) for doc in docs]
        lexical = np.array([lexicon_vector(found, self.options.lexicon_scale) for found in matches],
                           dtype=np.float32).reshape(len(docs), len(GROUPS))
        return sparse.hstack([self.words.transform(docs), self.chars.transform(docs),
                              sparse.csr_matrix(lexical)], format="csr")
