"""Issue #18: the authoring reference is generated from the models and committed up to date."""

from __future__ import annotations

from tests.conftest import run_tutor
from tutor.authoring.reference import DOC_PATH, all_models, render, undocumented


def test_the_committed_reference_matches_the_models():
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/authoring.md is out of date: run `tutor author docs --write` and commit it")


def test_every_field_of_every_file_is_explained():
    assert undocumented(all_models()) == []


def test_the_reference_covers_every_file_kind_and_rule():
    text = run_tutor("author", "docs").stdout
    for heading in ("## pack.toml", "## exercise.toml", "### [dataset]", "### [recipe]", "### [[checks]]",
                    "## Course config (tutor.toml)", "## Cluster profile (profiles_dir/NAME.toml)",
                    "### Shapes and the batch dimension"):
        assert heading in text, heading
    from exercises.schema import Exercise
    from exercises.spec_errors import check_models

    for kind in check_models(Exercise):
        assert f"#### `{kind}`" in text, kind
    for words in ("must **return a compiled", "`required = false`", "shape = [null, 784]", "`packs`",
                  "`profiles_dir`", "`gpus_per_job`", "apptainer exec --nv {container} python", "`hidden`",
                  "`partial_credit`", "`missing`", "marks.csv", "late_penalty_per_day", "solutions_dir"):
        assert words in text, words
