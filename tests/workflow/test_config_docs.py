"""Every config key in the schema is documented in config/README.md and has a default."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# objects documented as a whole (their members are listed in prose)
WHOLE = {"simulate.tfs", "simulate.conditions"}


def leaf_keys(node, prefix=""):
    for key, sub in node.get("properties", {}).items():
        name = f"{prefix}.{key}" if prefix else key
        if sub.get("type") == "object" and "properties" in sub and name not in WHOLE:
            yield from leaf_keys(sub, name)
        else:
            yield name, sub


def test_every_config_key_is_documented_typed_and_defaulted():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    docs = (REPO / "config/README.md").read_text()
    keys = list(leaf_keys(schema))
    assert len(keys) > 50
    for name, sub in keys:
        assert f"`{name}`" in docs, f"{name} is not documented in config/README.md"
        assert "type" in sub and "description" in sub, name
        assert "default" in sub, f"{name} has no default"
