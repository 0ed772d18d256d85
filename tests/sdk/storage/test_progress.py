"""The transfer progress bar: only for large transfers, only on a terminal."""

from __future__ import annotations

import pytest

from corral.sdk.storage import progress
from corral.sdk.storage.progress import BAR_THRESHOLD, TransferBar


def test_small_transfers_and_pipes_stay_silent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with TransferBar("pipe") as bar:  # stderr is captured: no terminal
        bar.file()(BAR_THRESHOLD, 2 * BAR_THRESHOLD)
        assert not bar.shown
    monkeypatch.setattr(progress, "stderr_is_tty", lambda: True)
    with TransferBar("small") as bar:
        bar.file()(10, 100)
        assert not bar.shown
    with TransferBar("background", enabled=False) as bar:
        bar.file()(0, 2 * BAR_THRESHOLD)
        assert not bar.shown
    assert capsys.readouterr().err == ""


def test_a_large_transfer_on_a_terminal_shows_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "stderr_is_tty", lambda: True)
    with TransferBar("big") as bar:
        report = bar.file()
        report(0, None)
        assert not bar.shown  # the size is not known yet
        report(0, 2 * BAR_THRESHOLD)
        assert bar.shown
        report(2 * BAR_THRESHOLD, 2 * BAR_THRESHOLD)
    assert not bar.shown


def test_a_folder_bar_adds_up_its_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "stderr_is_tty", lambda: True)
    with TransferBar("folder", total=2 * BAR_THRESHOLD) as bar:
        one, two = bar.file(), bar.file()
        one(BAR_THRESHOLD, BAR_THRESHOLD)
        two(BAR_THRESHOLD // 2, BAR_THRESHOLD)
        two(BAR_THRESHOLD // 4, BAR_THRESHOLD)  # a retry starts over
        assert bar.shown
        task = bar._progress.tasks[0]
        assert (task.completed, task.total) == (
            BAR_THRESHOLD + BAR_THRESHOLD // 4,
            2 * BAR_THRESHOLD,
        )
