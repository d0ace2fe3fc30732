"""The course's assignments as data: their files, cells, release and self-checks."""
