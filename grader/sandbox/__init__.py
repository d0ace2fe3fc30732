"""The sandbox: one confined kernel per submission (bubblewrap, uids, cgroups, seccomp, rlimits)."""
