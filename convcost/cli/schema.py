"""``convcost schema``: the JSON Schema of layer and model files."""

from __future__ import annotations

import click

from convcost import render
from convcost.frontends.schema import model_schema


@click.command()
def schema() -> None:
    """Print a JSON Schema of model and layer files, for editors that validate YAML.

    \b
    Example (VS Code with the YAML extension): write the schema to a file,
      convcost schema > convcost.schema.json
    then name that file in .vscode/settings.json:
      "yaml.schemas": {"./convcost.schema.json": ["layer_specs/*.yaml"]}
    """

    render.emit(render.json_text(model_schema(), flat_depth=99))
