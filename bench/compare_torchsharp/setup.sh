#!/usr/bin/env bash
# Makes libtorch 2.10 (TorchSharp-cpu 0.107.0) loadable on Debian 12, for the benchmark process only.
#
# libtorch needs GLIBCXX_3.4.32, newer than Debian 12's libstdc++ (GCC 12). This script takes `libstdc++6` from
# Debian 13 (trixie) with `apt-get download` through a private apt configuration (the system's sources and
# state are left alone), unpacks it into a private folder, clears the GLIBC_2.38 version of the one symbol it
# needs from glibc 2.38 (`__isoc23_strtoul`, with patchelf), marks that version need weak, and builds a tiny
# preloaded shim that defines the symbol. Nothing is installed system-wide; run.sh sets LD_LIBRARY_PATH and
# LD_PRELOAD for the benchmark process only.
#
# usage: bench/compare_torchsharp/setup.sh [DIR]   (default DIR: ~/.cache/nabla/torchsharp-libs)
# Prints DIR on success. Needs apt-get, dpkg-deb, patchelf, gcc (all Debian packages).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${1:-${HOME}/.cache/nabla/torchsharp-libs}"
mkdir -p "$dir/lib"
dir="$(cd "$dir" && pwd)"

if [ -f "$dir/lib/libstdc++.so.6" ] && [ -f "$dir/lib/isoc23_shim.so" ]; then echo "$dir"; exit 0; fi

if strings /usr/lib/x86_64-linux-gnu/libstdc++.so.6 | grep -qx GLIBCXX_3.4.32; then
  echo "setup.sh: the system libstdc++ already has GLIBCXX_3.4.32; nothing to do" >&2
  : > "$dir/lib/.system"; echo "$dir"; exit 0
fi

# A private apt configuration for the trixie suite, on the same archive as the system's own sources.
uri="$(grep -h -m1 -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -1)"
if [ -z "$uri" ]; then
  uri="$(grep -h -m1 -E '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1)"
fi
[ -n "$uri" ] || { echo "setup.sh: no Debian archive found in /etc/apt/sources.list(.d)" >&2; exit 1; }
apt="$dir/apt"
mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/etc/preferences.d"
printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$uri" > "$apt/etc/trixie.sources"
aptopts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt/etc" -o "Dir::State=$apt/state"
         -o "Dir::State::status=/var/lib/dpkg/status" -o "Dir::Cache=$apt/cache" -o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
         -o "APT::Architecture=amd64" -o "APT::Architectures=amd64")
apt-get -q "${aptopts[@]}" update >&2
( cd "$dir" && apt-get -q "${aptopts[@]}" download libstdc++6 >&2 )
deb="$(ls -t "$dir"/libstdc++6_*.deb | head -1)"
rm -rf "$dir/root" && dpkg-deb -x "$deb" "$dir/root"
so="$(ls "$dir"/root/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.* | head -1)"
cp "$so" "$dir/lib/libstdc++.so.6"

# Every symbol the new libstdc++ takes from glibc > 2.36 must be shimmed; stop loudly if there are others.
extra="$(objdump -T "$dir/lib/libstdc++.so.6" | awk '/GLIBC_2\.(3[7-9]|[4-9][0-9])/ {print $NF}' | sort -u)"
for sym in $extra; do
  [ "$sym" = "__isoc23_strtoul" ] || { echo "setup.sh: libstdc++ needs $sym from a glibc newer than 2.36; not shimmed" >&2; exit 1; }
  patchelf --clear-symbol-version "$sym" "$dir/lib/libstdc++.so.6"
done
python3 "$here/weak_verneed.py" "$dir/lib/libstdc++.so.6" GLIBC_2.38 >&2

# __isoc23_strtoul is C23's strtoul (it also accepts "0b" prefixes, which libstdc++ never passes it).
cat > "$dir/isoc23_shim.c" <<'C'
#include <stdlib.h>
unsigned long __isoc23_strtoul(const char *s, char **end, int base) { return strtoul(s, end, base); }
C
gcc -O2 -shared -fPIC -o "$dir/lib/isoc23_shim.so" "$dir/isoc23_shim.c"
echo "$dir"
