"""Processing: the stages every new item goes through, and the runner they share.

extract (trafilatura) → dedupe (content hash, MinHash, wire agencies) → enrich (spaCy,
Paris gazetteer) → classify (the theme model, `pipelines.themes`) → cluster (stories).
See docs/pipelines.md.
"""

from .dedupe import DedupeOptions, DedupeStage, find_copies, wire_agency
from .document import Document, EntityMention, Place
from .enrich import EnrichOptions, EnrichStage
from .extract import ExtractOptions, ExtractStage, extract_page
from .gazetteer import load_gazetteer
from .runner import RunReport, Runner, RunnerOptions
from .stages import DocumentStage, Drop, SessionStage, Stage
from .cluster import ClusterStage
from .stories import StoryOptions, cluster_stream

__all__ = [
    "ClusterStage", "DedupeOptions", "DedupeStage", "Document", "DocumentStage", "Drop", "EnrichOptions",
    "EnrichStage", "EntityMention", "ExtractOptions", "ExtractStage", "Place", "RunReport", "Runner",
    "RunnerOptions", "SessionStage", "Stage", "StoryOptions", "cluster_stream", "extract_page", "find_copies",
    "load_gazetteer", "wire_agency",
]
