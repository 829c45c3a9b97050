"""Quick connect's fuzzy index: ranking (favourites, recent, then match quality), several
words, every profile at once, and the inventory cache that feeds it (no Qt)."""

from __future__ import annotations

from pathlib import Path

from app.core.actions import Action
from app.core.aws.discovery.cache import InventoryCache
from app.core.aws.discovery.permissions import Access
from app.core.palette import Item, Kind, PaletteIndex
from tests.ui.instances_factory import fleet, make_row


def _items(*titles: str, profile: str = "prod") -> list[Item]:
    return [Item(Kind.INSTANCE, t, f"i-{n:04x} · {profile}", profile) for n, t in enumerate(titles)]


def titles(items: list[Item]) -> list[str]:
    return [i.title for i in items]


def test_match_quality_prefix_then_word_then_inside_then_letters() -> None:
    index = PaletteIndex(_items("api-web", "web-1", "cobweb", "w-e-b-x", "db"))
    assert titles(index.search("web")) == ["web-1", "api-web", "cobweb", "w-e-b-x"]
    # Letters in order: the tightest span first ("web" spans 3, "w-e-b" spans 5).
    assert titles(index.search("wb")) == ["api-web", "cobweb", "web-1", "w-e-b-x"]
    assert index.search("zzz") == []


def test_shorter_title_prefix_first() -> None:
    index = PaletteIndex(_items("web-10.prod", "web-1.prod", "web-100.prod"))
    assert titles(index.search("web-1")) == ["web-1.prod", "web-10.prod", "web-100.prod"]


def test_favourites_then_recent_then_quality() -> None:
    items = [Item(Kind.INSTANCE, "web-1", "", "prod"),
             Item(Kind.INSTANCE, "old-web", "", "prod", favourite=True),
             Item(Kind.INSTANCE, "api-web", "", "prod", recent=200.0),
             Item(Kind.INSTANCE, "web-api", "", "prod", recent=100.0),
             Item(Kind.INSTANCE, "db", "", "prod", favourite=True)]
    index = PaletteIndex(items)
    assert titles(index.search("web")) == ["old-web", "api-web", "web-api", "web-1"]
    # No query: favourites, then the most recent first, then the rest alphabetically.
    assert titles(index.search("")) == ["db", "old-web", "api-web", "web-api", "web-1"]


def test_every_word_must_match_anywhere_in_any_order() -> None:
    items = [Item(Kind.INSTANCE, "web-1", "i-1 · prod · eu-west-1", "prod"),
             Item(Kind.INSTANCE, "web-2", "i-2 · dev · us-east-1", "dev"),
             Item(Kind.INSTANCE, "db-1", "i-3 · prod · eu-west-1", "prod")]
    index = PaletteIndex(items)
    assert titles(index.search("prod web")) == ["web-1"]
    assert titles(index.search("eu-west-1")) == ["db-1", "web-1"]
    assert titles(index.search("dev w")) == ["web-2"]


def test_across_profiles_and_kinds_with_10000_instances() -> None:
    items = []
    for p in range(5):
        items += [Item(Kind.INSTANCE, r.name, f"{r.instance_id} · team{p}", f"team{p}", r)
                  for r in fleet(2000, seed=p)]
    items.append(Item(Kind.COMMAND, "Log in to SSO: team3", "Profiles", "team3"))
    items.append(Item(Kind.TUNNEL, "postgres on db-1", "localhost:5432", "team1"))  # the seam
    index = PaletteIndex(items)
    assert len(index) == 10002
    found = index.search("team3", limit=10000)
    assert {i.profile for i in found} == {"team3"} and len(found) == 2001
    assert titles(index.search("log sso"))[0] == "Log in to SSO: team3"
    assert index.search("postgres")[0].kind is Kind.TUNNEL
    assert len(index.search("w", limit=50)) == 50


def test_inventory_cache_round_trip_keeps_what_connect_needs(tmp_path: Path) -> None:
    cache = InventoryCache(tmp_path)
    ok = make_row("web-1", n=1, tags={"Team": "a"})
    old = make_row("legacy", n=2, agent="2.3.50.0")
    denied = make_row("db-1", n=3, access=Access.DENIED)
    cache.put("prod", [ok, old, denied], when=1000.0)
    cache.put("dev", [make_row("dev-1", n=4)], when=2000.0)
    loaded = InventoryCache(tmp_path).load()
    assert sorted(loaded) == ["dev", "prod"] and loaded["prod"].time == 1000.0
    rows = {r.name: r for r in loaded["prod"].rows}
    assert rows["web-1"] == ok  # every field, verdict and capabilities included
    assert rows["legacy"].capabilities.can(Action.SHELL)
    assert not rows["legacy"].capabilities.can(Action.SSH)
    assert not rows["db-1"].connectable
    assert (tmp_path / "inventory-cache.json").stat().st_mode & 0o777 == 0o600
    cache.keep_only(["dev"])
    assert sorted(InventoryCache(tmp_path).load()) == ["dev"]


def test_a_broken_cache_file_is_an_empty_cache(tmp_path: Path) -> None:
    (tmp_path / "inventory-cache.json").write_text("{not json")
    assert InventoryCache(tmp_path).load() == {}
    (tmp_path / "inventory-cache.json").write_text(
        '{"profiles": {"p": {"time": "x", "rows": [{"name": "no id"}, 5]}}}')
    loaded = InventoryCache(tmp_path).load()
    assert loaded["p"].rows == () and loaded["p"].time == 0.0
