"""Extractive, attributed summaries of a story: 2–3 sentences drawn from its coverage.

Rights rules (../shared/reference/press-review.md, CPI art. L.122-5 3°: short quotations,
author and source named): at most two sentences from any one article, never more than
`MAX_SHARE` of an article's text, and every sentence is shown with its outlet and link.

Sentences are scored by how close they are to the story as a whole (TF-IDF cosine to the
centroid of all its articles' sentences), with a bonus for the lead, where news writing puts
the facts. Near-repeats of an already chosen sentence are skipped, so three outlets' copies
of one dépêche do not make a three-times-repeated summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .context import Quote
from .selection import Selected
from .subtopics import fold

MAX_PER_SOURCE = 2
MAX_SHARE = 0.4  # of one article's characters
MIN_CHARS, MAX_CHARS = 40, 320
LEAD_BONUS = 0.15
# A sentence that opens on a personal pronoun or a connective leans on the one before it
# ("Elle a recueilli…"): out of context it misleads, so it is never quoted. One that opens on a
# demonstrative ("Cette mesure…") often still reads well, and is only pushed down.
_DEPENDENT = re.compile(r"^(?:il|elle|ils|elles|lui|eux|mais|et|or|donc|pourtant|cependant|ensuite|puis)\b",
                        re.IGNORECASE)
ANAPHORA_PENALTY = 0.3
_ANAPHORIC = re.compile(r"^(?:ce|cet|cette|ces|cela|ça|celui|celle|ceux|celles|là)\b", re.IGNORECASE)
SIMILAR = 0.6

# French function words, left out of the TF-IDF vocabulary (scikit-learn ships English only).
STOP_WORDS = sorted({fold(w) for w in """
a à au aux avec ce ces cet cette ceux d dans de des du elle elles en est et été être eu il ils
je l la le les leur leurs lui m ma mais me même mes moi mon n ne ni nos notre nous on ont ou où par
pas pour qu que qui s sa sans se ses si son sont sur ta te tes toi ton tu un une vos votre vous y
c ça cela celui celle dont plus moins très aussi comme alors avait avoir fait faire été sera
selon depuis entre après avant sous chez tout tous toute toutes autre autres déjà encore
""".split()})

# A sentence ends at . ! ? or … followed by a space and a capital, a digit or an opening quote,
# unless the dot ends a common French abbreviation ("M. Dupont", "av. de", "n°").
_BOUNDARY = re.compile(r"(?<=[.!?…])[»”\"]?\s+(?=[«\"“A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜ0-9])")
_ABBREVIATION = re.compile(r"(?:\b(?:M|MM|Mme|Mmes|Mlle|Dr|Pr|St|Ste|av|bd|boul|n|no|p|cf|etc|env|J\.-C|"
                           r"[A-Z])\.)$")


@dataclass
class Sentence:
    text: str
    member: Selected
    position: int  # 0 = the lead
    lead: bool


def _typography(text: str) -> str:
    """A narrow no-break space before ; : ! ? and inside « », so they never start a line."""
    text = re.sub(r"\s+([;:!?»])", "\u202f\\1", text)
    return re.sub(r"«\s+", "«\u202f", text)


def split_sentences(text: str) -> list[str]:
    """French sentences of a paragraph (a regular expression that knows the usual abbreviations)."""
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start:match.start()].strip()
        if _ABBREVIATION.search(text[:match.start()].rstrip("»”\"")):
            continue
        if candidate:
            pieces.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def article_text(member: Selected) -> str:
    item = member.item
    return (item.text or item.summary or item.description or "").strip()


def _sentences(member: Selected) -> list[Sentence]:
    item = member.item
    lead = (item.summary or item.description or "").strip()
    body = (item.text or "").strip()
    found: list[Sentence] = []
    seen: set[str] = set()
    position = 0
    for block, is_lead in ((lead, True), (body, False)):
        for paragraph in block.split("\n"):
            for sentence in split_sentences(paragraph):
                normalised = " ".join(sentence.split())
                if normalised in seen:
                    continue
                seen.add(normalised)
                first_paragraph = is_lead or position < 2
                found.append(Sentence(normalised, member, position, first_paragraph))
                position += 1
    return found


def summarise(members: list[Selected], max_sentences: int = 3) -> list[Quote]:
    """Two or three sentences from the coverage of a story, attributed; [] when nothing quotable."""
    originals = [m for m in members if m.copy_of is None] or members
    # Questions are the writer's hooks ("Vous voulez assister… ?"), not facts: left out.
    candidates = [s for m in originals for s in _sentences(m)
                  if MIN_CHARS <= len(s.text) <= MAX_CHARS and not _DEPENDENT.match(s.text)
                  and not s.text.endswith("?")]
    if not candidates:
        return []
    target = min(max_sentences, 3 if len({m.item.source_id for m in originals}) > 1 else 2)
    vectorizer = TfidfVectorizer(strip_accents="unicode", lowercase=True, stop_words=STOP_WORDS,
                                 sublinear_tf=True, token_pattern=r"(?u)\b\w\w+\b")
    try:
        matrix = vectorizer.fit_transform([s.text for s in candidates])
    except ValueError:  # only stop words
        return []
    centroid = np.asarray(matrix.mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid)
    centrality = matrix @ (centroid / norm) if norm else np.zeros(len(candidates))
    scores = [float(c) + (LEAD_BONUS if s.lead else 0.0) - (ANAPHORA_PENALTY if _ANAPHORIC.match(s.text) else 0.0)
              for c, s in zip(np.ravel(centrality), candidates)]
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i].position))
    budget = {m.item.id: MAX_SHARE * len(article_text(m)) for m in originals}
    per_source: dict[int, int] = {}
    chosen: list[int] = []
    for i in order:
        sentence = candidates[i]
        item_id = sentence.member.item.id
        source_id = sentence.member.item.source_id
        if per_source.get(source_id, 0) >= MAX_PER_SOURCE or len(sentence.text) > budget[item_id]:
            continue
        if any((matrix[i] @ matrix[j].T).toarray()[0, 0] > SIMILAR for j in chosen):
            continue
        chosen.append(i)
        per_source[source_id] = per_source.get(source_id, 0) + 1
        budget[item_id] -= len(sentence.text)
        if len(chosen) == target:
            break
    # Read in the order of the coverage: earliest article first, then its order.
    chosen.sort(key=lambda i: (candidates[i].member.when, candidates[i].member.item.id, candidates[i].position))
    return [Quote(text=_typography(candidates[i].text), outlet=candidates[i].member.item.source.name,
                  url=candidates[i].member.item.canonical_url, item_id=candidates[i].member.item.id) for i in chosen]
