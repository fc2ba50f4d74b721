"""Search index: search_docs, with an FTS5 table (SQLite) or a tsvector + GIN (PostgreSQL).

Revision ID: 0007_search
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = "0007_search"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copy of models.searchindex.SQLITE_FTS_DDL at this revision.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, body, tags, "
    "content='search_docs', content_rowid='sort_key', tokenize=\"unicode61 tokenchars '_'\")",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_vocab USING fts5vocab(search_fts, 'row')",
    "CREATE TRIGGER IF NOT EXISTS search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, title, body, tags) VALUES (new.sort_key, new.title, new.body, new.tags); END",
    "CREATE TRIGGER IF NOT EXISTS search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.sort_key, old.title, old.body, old.tags); END",
    "CREATE TRIGGER IF NOT EXISTS search_docs_au AFTER UPDATE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.sort_key, old.title, old.body, old.tags); "
    "INSERT INTO search_fts(rowid, title, body, tags) VALUES (new.sort_key, new.title, new.body, new.tags); END",
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    key_type = sa.Integer() if sqlite else sa.BigInteger()
    op.create_table(
        "search_docs",
        sa.Column("sort_key", key_type, autoincrement=False, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("themes", sa.String(length=200), nullable=False),
        sa.Column("places", sa.String(length=100), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_search_docs_item_id_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sort_key", name=op.f("pk_search_docs")),
        sa.UniqueConstraint("item_id", name=op.f("uq_search_docs_item_id")),
    )
    with op.batch_alter_table("search_docs", schema=None) as batch_op:
        batch_op.create_index("ix_search_docs_week", ["week"], unique=False)
        batch_op.create_index("ix_search_docs_keys", ["sort_key", "item_id", "week", "themes", "places", "tags"],
                              unique=False)
    if sqlite:
        for statement in SQLITE_FTS:
            op.execute(statement)
        return
    # French stems without accents: 'election' finds « élections » (unaccent is a trusted
    # extension, so the database owner can create it).
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
                CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
                ALTER TEXT SEARCH CONFIGURATION french_unaccent
                    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
            END IF;
        END $$""")
    op.execute("ALTER TABLE search_docs ADD COLUMN tsv tsvector")
    op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv) WITH (fastupdate = on)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("search_docs_ai", "search_docs_ad", "search_docs_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts_vocab")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_docs")
