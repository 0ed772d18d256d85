"""Modules at the import paths ClearML scripts use (``clearml.utilities.*``), so that
``from corral.utilities.plotly_reporter import SeriesInfo`` works after changing the
import. Each re-exports what the SDK (``corral.sdk``) defines."""
