"""Initial schema: sources, items, entities, places, themes, labels, stories, digests, runs, users.

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 00:01:34.723036
"""

from alembic import op
import sqlalchemy as sa
from models.base import JSONType, UTCDateTime

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hosts',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('next_request_at', UTCDateTime(), nullable=True),
    sa.Column('retry_after_until', UTCDateTime(), nullable=True),
    sa.Column('robots_txt', sa.Text(), nullable=True),
    sa.Column('robots_status', sa.Integer(), nullable=True),
    sa.Column('robots_fetched_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_hosts'))
    )
    op.create_table('runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=False),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('counters', JSONType, nullable=False),
    sa.Column('errors', JSONType, nullable=False),
    sa.Column('params', JSONType, nullable=False),
    sa.Column('worker', sa.String(length=100), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs'))
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index('ix_runs_kind_started', ['kind', 'started_at'], unique=False)

    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('outlet_type', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('options', JSONType, nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('body_hash', sa.String(length=64), nullable=True),
    sa.Column('key_mode', sa.String(length=10), nullable=False),
    sa.Column('redirect_url', sa.Text(), nullable=True),
    sa.Column('redirect_seen', sa.Integer(), nullable=False),
    sa.Column('interval_seconds', sa.Integer(), nullable=True),
    sa.Column('next_check_at', UTCDateTime(), nullable=True),
    sa.Column('last_checked_at', UTCDateTime(), nullable=True),
    sa.Column('last_success_at', UTCDateTime(), nullable=True),
    sa.Column('last_unconditional_at', UTCDateTime(), nullable=True),
    sa.Column('last_new_item_at', UTCDateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_until', UTCDateTime(), nullable=True),
    sa.Column('last_outcome', sa.String(length=30), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', UTCDateTime(), nullable=True),
    sa.Column('error_counts', JSONType, nullable=False),
    sa.Column('checks', sa.Integer(), nullable=False),
    sa.Column('items_found', sa.Integer(), nullable=False),
    sa.Column('disabled_at', UTCDateTime(), nullable=True),
    sa.Column('disabled_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('name', name=op.f('uq_sources_name'))
    )
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sources_next_check_at'), ['next_check_at'], unique=False)

    op.create_table('stories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('title_locked', sa.Boolean(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('first_published_at', UTCDateTime(), nullable=True),
    sa.Column('last_published_at', UTCDateTime(), nullable=True),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('outlet_count', sa.Integer(), nullable=False),
    sa.Column('keywords', JSONType, nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['stories.id'], name=op.f('fk_stories_parent_id_stories'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stories'))
    )
    op.create_table('theme_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.Column('n_examples', sa.Integer(), nullable=False),
    sa.Column('n_labels', sa.Integer(), nullable=False),
    sa.Column('metrics', JSONType, nullable=False),
    sa.Column('thresholds', JSONType, nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_models')),
    sa.UniqueConstraint('version', name=op.f('uq_theme_models_version'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('last_login_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('last_used_at', UTCDateTime(), nullable=True),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('target_type', sa.String(length=30), nullable=False),
    sa.Column('target_id', sa.String(length=50), nullable=False),
    sa.Column('details', JSONType, nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)

    op.create_table('digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=30), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('editor_note', sa.Text(), nullable=True),
    sa.Column('built_at', UTCDateTime(), nullable=True),
    sa.Column('published_at', UTCDateTime(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('context', JSONType, nullable=True),
    sa.Column('counts', JSONType, nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_digests_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digests')),
    sa.UniqueConstraint('group', 'week', name=op.f('uq_digests_group_week'))
    )
    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canonical_url', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('final_url', sa.Text(), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=10), nullable=True),
    sa.Column('author', sa.Text(), nullable=True),
    sa.Column('site_name', sa.Text(), nullable=True),
    sa.Column('image_url', sa.Text(), nullable=True),
    sa.Column('lemmas', sa.Text(), nullable=True),
    sa.Column('published_at', UTCDateTime(), nullable=True),
    sa.Column('date_source', sa.String(length=20), nullable=True),
    sa.Column('date_suspect', sa.Boolean(), nullable=False),
    sa.Column('first_seen_at', UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('drop_reason', sa.String(length=100), nullable=True),
    sa.Column('flags', JSONType, nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('fetch_attempts', sa.Integer(), nullable=False),
    sa.Column('next_fetch_at', UTCDateTime(), nullable=True),
    sa.Column('fetch_error', sa.Text(), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_until', UTCDateTime(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_kind', sa.String(length=20), nullable=True),
    sa.Column('is_wire', sa.Boolean(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['items.id'], name=op.f('fk_items_duplicate_of_id_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_items_source_id_sources')),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_items_story_id_stories'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('canonical_url', name=op.f('uq_items_canonical_url'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_content_hash', ['content_hash'], unique=False)
        batch_op.create_index('ix_items_published_at', ['published_at'], unique=False)
        batch_op.create_index('ix_items_source_published', ['source_id', 'published_at'], unique=False)
        batch_op.create_index('ix_items_state', ['state'], unique=False)
        batch_op.create_index('ix_items_story_id', ['story_id'], unique=False)

    op.create_table('tombstones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=64), nullable=True),
    sa.Column('canonical_url', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_tombstones_source_id_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tombstones')),
    sa.UniqueConstraint('source_id', 'key', name=op.f('uq_tombstones_source_id_key'))
    )
    with op.batch_alter_table('tombstones', schema=None) as batch_op:
        batch_op.create_index('ix_tombstones_canonical_url', ['canonical_url'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_at', UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTCDateTime(), nullable=True),
    sa.Column('sent_at', UTCDateTime(), nullable=True),
    sa.Column('message_id', sa.String(length=300), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], name=op.f('fk_deliveries_digest_id_digests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('digest_id', 'recipient', name=op.f('uq_deliveries_digest_id_recipient'))
    )
    op.create_table('digest_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('section', sa.String(length=40), nullable=True),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('excluded', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('score_parts', JSONType, nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], name=op.f('fk_digest_entries_digest_id_digests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_digest_entries_item_id_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_digest_entries_story_id_stories'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_entries'))
    )
    with op.batch_alter_table('digest_entries', schema=None) as batch_op:
        batch_op.create_index('ix_digest_entries_digest_id', ['digest_id'], unique=False)

    op.create_table('entities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('norm', sa.String(length=300), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_entities_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entities'))
    )
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.create_index('ix_entities_item_id', ['item_id'], unique=False)
        batch_op.create_index('ix_entities_label_norm', ['label', 'norm'], unique=False)

    op.create_table('item_pages',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=True),
    sa.Column('content_type', sa.String(length=200), nullable=True),
    sa.Column('encoding', sa.String(length=50), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('fetched_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_pages_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_item_pages'))
    )
    op.create_table('item_places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('arrondissement', sa.SmallInteger(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('evidence', JSONType, nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_places_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_places')),
    sa.UniqueConstraint('item_id', 'arrondissement', name=op.f('uq_item_places_item_id_arrondissement'))
    )
    with op.batch_alter_table('item_places', schema=None) as batch_op:
        batch_op.create_index('ix_item_places_arrondissement', ['arrondissement'], unique=False)

    op.create_table('item_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('guid', sa.Text(), nullable=True),
    sa.Column('link', sa.Text(), nullable=True),
    sa.Column('entry_hash', sa.String(length=64), nullable=True),
    sa.Column('first_seen_at', UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_sources_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_item_sources_source_id_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_sources')),
    sa.UniqueConstraint('source_id', 'key', name=op.f('uq_item_sources_source_id_key'))
    )
    with op.batch_alter_table('item_sources', schema=None) as batch_op:
        batch_op.create_index('ix_item_sources_item_id', ['item_id'], unique=False)

    op.create_table('labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('themes', JSONType, nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_labels_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_labels_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labels'))
    )
    with op.batch_alter_table('labels', schema=None) as batch_op:
        batch_op.create_index('ix_labels_item_created', ['item_id', 'created_at'], unique=False)

    op.create_table('theme_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=30), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('assigned', sa.Boolean(), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('reasons', JSONType, nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_theme_scores_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_scores')),
    sa.UniqueConstraint('item_id', 'theme', name=op.f('uq_theme_scores_item_id_theme'))
    )
    with op.batch_alter_table('theme_scores', schema=None) as batch_op:
        batch_op.create_index('ix_theme_scores_theme_assigned', ['theme', 'assigned'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('theme_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_theme_scores_theme_assigned')

    op.drop_table('theme_scores')
    with op.batch_alter_table('labels', schema=None) as batch_op:
        batch_op.drop_index('ix_labels_item_created')

    op.drop_table('labels')
    with op.batch_alter_table('item_sources', schema=None) as batch_op:
        batch_op.drop_index('ix_item_sources_item_id')

    op.drop_table('item_sources')
    with op.batch_alter_table('item_places', schema=None) as batch_op:
        batch_op.drop_index('ix_item_places_arrondissement')

    op.drop_table('item_places')
    op.drop_table('item_pages')
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_index('ix_entities_label_norm')
        batch_op.drop_index('ix_entities_item_id')

    op.drop_table('entities')
    with op.batch_alter_table('digest_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_entries_digest_id')

    op.drop_table('digest_entries')
    op.drop_table('deliveries')
    with op.batch_alter_table('tombstones', schema=None) as batch_op:
        batch_op.drop_index('ix_tombstones_canonical_url')

    op.drop_table('tombstones')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_story_id')
        batch_op.drop_index('ix_items_state')
        batch_op.drop_index('ix_items_source_published')
        batch_op.drop_index('ix_items_published_at')
        batch_op.drop_index('ix_items_content_hash')

    op.drop_table('items')
    op.drop_table('digests')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_target')
        batch_op.drop_index('ix_audit_log_at')

    op.drop_table('audit_log')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('theme_models')
    op.drop_table('stories')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sources_next_check_at'))

    op.drop_table('sources')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index('ix_runs_kind_started')

    op.drop_table('runs')
    op.drop_table('hosts')
