"""Workspaces on disk for the retrieval tests, and indexing them with the real pipeline."""

from __future__ import annotations

import random
from pathlib import Path

from services.config import Settings
from services.domain.models import IngestJob, JobState, Workspace, workspace_id_for
from services.ingestor.assembly import build_ingestion
from services.storage.port import Storage

SHOP_FILES = {
    "README.md": (
        "# Shop\n\n[![build](https://example.invalid/badge.svg)](https://example.invalid)\n\n"
        "Shop is a tiny inventory service that the retrieval tests search.\n"
        "It keeps stock and computes prices.\n\n## Usage\n\nRun `python -m shop`.\n"),
    "pyproject.toml": '[project]\nname = "shop"\n\n[project.scripts]\nshop = "shop.cli:main"\n',
    "shop/__init__.py": '"""The shop package: inventory, pricing and a command line."""\n',
    "shop/__main__.py": "from shop.cli import main\n\nmain()\n",
    "shop/inventory.py": '''"""Inventory records and the registry that keeps them."""


class InventoryRegistry:
    """Keeps stock counts by SKU."""

    def __init__(self):
        self.items = {}

    def add_item(self, sku, count):
        self.items[sku] = self.items.get(sku, 0) + count

    def remove_item(self, sku):
        self.items.pop(sku, None)


def parse_config(path):
    """Read the shop's configuration file."""
    with open(path) as handle:
        return dict(line.split("=", 1) for line in handle)
''',
    "shop/pricing.py": '''"""Prices and discounts."""

from shop.inventory import InventoryRegistry


def compute_discount(price, percent):
    """The price after taking off a percentage."""
    return price * (100 - percent) / 100


def stock_value(registry: InventoryRegistry, prices):
    return sum(prices[sku] * count for sku, count in registry.items.items())
''',
    "shop/cli.py": '''"""The shop's command line."""

from shop.inventory import InventoryRegistry, parse_config
from shop.pricing import compute_discount


def main():
    registry = InventoryRegistry()
    config = parse_config("shop.cfg")
    print(compute_discount(100, int(config.get("discount", 0))), registry)


if __name__ == "__main__":
    main()
''',
    "web/app.js": '''// Renders the shopping cart in the browser.

export function renderCart(items) {
  return items.map((item) => `<li>${item.name}</li>`).join("");
}

export class CartView {
  constructor(registry) {
    this.registry = registry;
  }
}
''',
    "docs/guide.md": ("# Guide\n\nHow the shop works.\n\n## Discounts\n\n"
                      "Discounts are computed by percent off the price.\n"),
    "tests/test_pricing.py": '''from shop.inventory import InventoryRegistry
from shop.pricing import compute_discount


def test_discount():
    assert compute_discount(200, 50) == 100
    assert InventoryRegistry().items == {}
''',
}


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def shop_workspace(root: Path) -> Path:
    return write_files(root, SHOP_FILES)


# Characters whose UTF-8 takes 2, 3 and 4 bytes, and a sequence joined by zero-width joiners:
# every cut point of a budgeted response lands on or next to one of them.
AWKWARD = ("é", "数据", "検索", "🔥", "👨\u200d👩\u200d👧", "e\u0301", "한국어")


def awkward_workspace(root: Path, *, big_bytes: int = 5_000_000, tiny_files: int = 3000,
                      seed: int = 5) -> Path:
    """A 5 MB source file of long lines full of CJK and emoji, a one-line minified script,
    a document with multi-byte characters at every byte offset, and thousands of tiny files
    in nested folders."""
    rnd = random.Random(seed)
    parts, size, number = [], 0, 0
    while size < big_bytes:
        words = (rnd.choice(AWKWARD) if rnd.random() < 0.4 else "x" * rnd.randint(1, 30)
                 for _ in range(rnd.randint(50, 3000)))
        body = " ".join(words)
        part = (f"def handler_{number}(value):\n    note = \"{body}\"\n"
                f"    return value + {number}\n\n\n")
        parts.append(part)
        size += len(part.encode())
        number += 1
    write_files(root, {
        "big/huge.py": "".join(parts),
        "big/minified.js": "var a='" + "😀漢字" * 60_000 + "';\n",
        "notes/多字节.md": "# 多字节 notes 🔥\n\n" + "".join(
            "a" * offset + "".join(AWKWARD) + "\n" for offset in range(64)),
        "README.md": "# Awkward\n\nA workspace that tests the response budget. 🔥\n",
    })
    for index in range(tiny_files):
        folder = root / "many" / f"d{index % 8}" / f"s{index % 40}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"t{index}.py").write_text(
            f"def tiny_{index}():\n    return tiny_{(index * 7) % tiny_files}\n", encoding="utf-8")
    return root


async def index(settings: Settings, storage: Storage, *, full: bool = False) -> tuple[
        Workspace, IngestJob]:
    """Run one ingest of the settings' workspace to the end, as the server would."""
    root = str(settings.runtime.workspace)
    workspace = Workspace(id=workspace_id_for(root), root=root)
    await storage.upsert_workspace(workspace)
    ingestion = build_ingestion(settings, storage)
    try:
        job, _ = await ingestion.jobs.start(workspace, full=full)
        job = await ingestion.jobs.wait(job.id)
    finally:
        await ingestion.close()
    assert job.state is JobState.SUCCEEDED, job.message
    return workspace, job
