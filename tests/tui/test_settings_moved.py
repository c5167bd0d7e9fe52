"""Opening a dataset whose workspace an earlier curator kept settings in moves them to its settings file and
says so."""

from __future__ import annotations

from curator.core.settings import dataset_settings_path
from tests.core.test_settings import old_workspace
from tests.tui.helpers import copy_fixture, make_app, until_main


async def test_the_app_moves_old_workspace_settings_and_says_so(tmp_path):
    path = copy_fixture(tmp_path)
    old_workspace(tmp_path / ".curator", [(path.resolve(), "template", "Classify: {text}"),
                                          (path.resolve(), "near_dup_threshold", 85)])
    app = make_app(path, settings=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_main(pilot)
        said = [(n.title, n.message) for n in app._notifications]
        assert ("settings", "classification.jsonl: moved near_dup_threshold, template from the workspace into "
                "classification.jsonl.curator.toml") in said
        assert (app.settings.template, app.settings.near_dup_threshold) == ("Classify: {text}", 85)
    assert 'template = "Classify: {text}"' in dataset_settings_path(path).read_text()
