#!/usr/bin/env bash
# Install the external tools the scorers use, if they are missing (from Debian): pdflatex (TeX
# Live), bwrap (bubblewrap, the jail pdflatex runs in; without it the latex scorer falls back to
# a structural check), strace (the hostile-input tests watch pdflatex's file calls with it) and
# chromium (the report test opens `playground report`'s page in a real headless browser).
set -euo pipefail
packages=()
command -v pdflatex >/dev/null 2>&1 ||
  packages+=(texlive-latex-base texlive-latex-recommended texlive-fonts-recommended)
command -v bwrap >/dev/null 2>&1 || packages+=(bubblewrap)
command -v strace >/dev/null 2>&1 || packages+=(strace)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
if [ ${#packages[@]} = 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-tools: missing ${packages[*]}; install them as root" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-tools: installing ${packages[*]} from Debian (TeX Live takes about a minute)" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
