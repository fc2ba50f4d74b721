"""The cluster stage over the archive: its memory of the window between batches changes nothing."""

from sqlalchemy import select

from models import Item
from pipelines import ClusterStage, ExtractStage, Runner, RunnerOptions
from pipelines.cluster import RecordCache

from .conftest import add_items


def partition(database) -> list[list[str]]:
    with database.reader() as session:
        groups: dict[int, list[str]] = {}
        for url, story in session.execute(select(Item.url, Item.story_id).where(Item.story_id.is_not(None))):
            groups.setdefault(story, []).append(url)
    return sorted(sorted(urls) for urls in groups.values())


def test_one_stage_across_batches_groups_as_a_fresh_stage_per_batch(database, demo_articles) -> None:
    articles = demo_articles[:48]
    add_items(database, articles)
    Runner(database, [ExtractStage()], RunnerOptions()).run()
    with database.transaction() as session:
        for item in session.scalars(select(Item)):
            item.state = "extracted"
    Runner(database, [ExtractStage(), ClusterStage()], RunnerOptions(batch_size=8)).run()
    remembered = partition(database)
    with database.transaction() as session:
        for item in session.scalars(select(Item)):
            item.state, item.story_id = "extracted", None
    while Runner(database, [ExtractStage(), ClusterStage()], RunnerOptions(batch_size=8)).run(limit=8).items:
        pass
    assert remembered and remembered == partition(database)


def test_an_item_changed_since_it_was_read_is_read_again(database, demo_articles) -> None:
    ids = add_items(database, demo_articles[:2])
    cache = RecordCache()
    with database.reader() as session:
        keys = [tuple(row) for row in session.execute(select(Item.id, Item.updated_at, Item.story_id)
                                                      .where(Item.id.in_(ids.values())).order_by(Item.id))]
        first = cache.records(session, keys)
    with database.transaction() as session:
        session.get(Item, first[0].id).title = "Un autre titre"
    with database.reader() as session:
        keys = [tuple(row) for row in session.execute(select(Item.id, Item.updated_at, Item.story_id)
                                                      .where(Item.id.in_(ids.values())).order_by(Item.id))]
        again = cache.records(session, keys)
    assert again[0].title == "Un autre titre" and again[1] == first[1]
    assert cache.counts(again).shape[0] == 2
