"""The archive: data model, engine and sessions, migrations. Imports nothing of ours."""

from .base import Base, JSONType, UTCDateTime, utcnow
from .db import Database, DatabaseError, create_db_engine
from .digests import Delivery, Digest, DigestEntry
from .items import Entity, Item, ItemPage, ItemPlace, ItemSource, ItemState
from .runs import Run
from .searchindex import SearchDoc
from .sources import Host, Source, Tombstone
from .stories import Story
from .themes import Label, ThemeModel, ThemeScore
from .users import ApiToken, AuditEntry, Role, User
from .web import RateCounter, WebSession

__all__ = [
    "ApiToken", "AuditEntry", "Base", "Database", "DatabaseError", "Delivery", "Digest", "DigestEntry",
    "Entity", "Host", "Item", "ItemPage", "ItemPlace", "ItemSource", "ItemState", "JSONType", "Label",
    "RateCounter", "Role", "Run", "SearchDoc", "Source", "Story", "ThemeModel", "ThemeScore", "Tombstone",
    "UTCDateTime", "User", "WebSession",
    "create_db_engine", "utcnow",
]
