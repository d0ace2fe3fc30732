#!/usr/bin/env bash
# System packages the tests need besides Python: bubblewrap (the grading
# sandbox), PostgreSQL (the shared-gradebook tests), Chromium with its
# driver and CJK fonts (the browser tests), node and npm (the render check), uidmap (a normal
# user's subordinate ids, in the normal-user modes the long suite produces). Installs what is missing
# with apt when run as root; otherwise says what to install and fails.
set -euo pipefail
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
# node and npm run the markdown/TeX render check (MathJax and marked from the npm registry).
command -v npm >/dev/null || need+=(nodejs npm)
# newuidmap and newgidmap: a normal user's kernels each take one of its subordinate ids (grader/sandbox/subids.py).
command -v newuidmap >/dev/null || need+=(uidmap)
# CJK glyphs for the bilingual pages in the browser test's screenshots.
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "missing system packages: ${need[*]} (install them, e.g. sudo apt-get install ${need[*]})" >&2
  exit 1
fi
