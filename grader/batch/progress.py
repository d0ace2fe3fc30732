"""A progress bar with an ETA on stderr (one line per step when not a terminal)."""

import time

from grader.ids import terminal


class Progress:
    """A progress bar with an ETA on ``stream`` (``None``: silent)."""

    def __init__(self, total, stream):
        self.total, self.stream, self.done = total, stream, 0
        self.start = time.monotonic()
        self.tty = bool(stream) and hasattr(stream, "isatty") and stream.isatty()

    def step(self, label=""):
        """One more submission done (``label``: its student, shown escaped)."""
        self.done += 1
        if not self.stream:
            return
        elapsed = time.monotonic() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate else 0.0
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
            f"{rate:.2f}/s ETA {int(eta) // 60}:{int(eta) % 60:02d} {terminal(label)}"
        )
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self):
        """End the bar's line on a terminal."""
        if self.stream and self.tty:
            self.stream.write("\n")
            self.stream.flush()
