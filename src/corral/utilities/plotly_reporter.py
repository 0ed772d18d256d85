"""``clearml.utilities.plotly_reporter``'s ``SeriesInfo``: one line of ``Logger.report_line_plot``.

Example::

    from corral.utilities.plotly_reporter import SeriesInfo

    logger.report_line_plot("roc", [SeriesInfo("model", [[0, 0], [0.1, 0.7], [1, 1]])],
                            xaxis="false positives", yaxis="true positives")
"""

from __future__ import annotations

from corral.sdk.figures import SeriesInfo

__all__ = ["SeriesInfo"]
