"""Loss and accuracy per epoch, plotted in the terminal (textual-plotext)."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from tutor.tui.training_log import Series


class TrainingPlot(PlotextPlot):
    """Call `show(series)`; an empty series shows a short explanation instead."""

    series: Series | None = None

    def show(self, series: Series) -> None:
        self.series = series
        plt = self.plt
        plt.clear_figure()
        if not series.epochs:
            plt.title("no epochs in this log yet")
        else:
            title = "loss and accuracy per epoch"
            if series.test_accuracy is not None:
                title += f" · test accuracy {series.test_accuracy:.4f}"
            plt.title(title)
            plt.plot(series.epochs, series.loss, label="loss", marker="braille")
            plt.plot(series.epochs, series.accuracy, label="accuracy", marker="braille")
            plt.xticks(series.epochs)
            plt.xlabel("epoch")
        self.refresh()
