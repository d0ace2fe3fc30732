"""Many submissions: parallel workers, the gradebook, progress."""
