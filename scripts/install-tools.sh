#!/usr/bin/env bash
# Install the external tools the scorers use, if they are missing: pdflatex (TeX Live from Debian).
set -euo pipefail
if command -v pdflatex >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-tools: pdflatex is missing; install TeX Live as root" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-tools: installing TeX Live (pdflatex) from Debian, about a minute" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  texlive-latex-base texlive-latex-recommended texlive-fonts-recommended >/dev/null
