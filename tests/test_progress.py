import io

from core.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bar_on_a_terminal_shows_count_rate_and_time_left():
    clock = Clock()
    terminal = Terminal()
    with ProgressBar(label="Exporting", total=1000, stream=terminal, clock=clock) as bar:
        clock.now = 2.0
        bar.advance(400)
        assert bar.line() == "Exporting [############------------------] 400/1,000 200/s 3s left"
    assert "400/1,000" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")


def test_a_bar_without_a_total_shows_count_rate_and_elapsed_time():
    clock = Clock()
    bar = ProgressBar(label="Importing", stream=Terminal(), clock=clock)
    clock.now = 90.0
    bar.advance(9000)
    assert bar.line() == "Importing 9,000 100/s 1m30s elapsed"


def test_a_bar_writes_nothing_when_the_output_is_not_a_terminal():
    piped = io.StringIO()
    with ProgressBar(label="Exporting", total=10, stream=piped) as bar:
        bar.advance(10)
    assert piped.getvalue() == ""
