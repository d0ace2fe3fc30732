"""One submission to one result: read, normalize, run, probe, judge, render."""
