#!/usr/bin/env bash
# Proves the NuGet packages work as a user would use them (docs/data.md, issue 19):
#  1. packs src/Nabla and src/Nabla.Cli into a local folder feed;
#  2. creates a fresh console app, adds the Nabla package from that feed, pastes README.md's
#     "Using the library" snippet unchanged as Program.cs, builds and runs it;
#  3. installs the CLI tool from the feed into a tool path and runs `nabla summary lenet5` from elsewhere.
# Slow (a minute or two: three restores and builds), so it is a script, not a unit test.
# usage: tools/check_package.sh [WORKDIR]   (default: a fresh temporary directory, removed afterwards)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
[ $# -ge 1 ] || trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# A private global-packages folder: the machine's one may hold an older Nabla of the same version (packed from
# another checkout), and restore would take that instead of the package just made.
export NUGET_PACKAGES="$work/packages"
feed="$work/feed"
mkdir -p "$feed"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props")
echo "check_package: packing Nabla $version into $feed"
dotnet pack "$repo/src/Nabla" -c Release -o "$feed" -nologo -v quiet
dotnet pack "$repo/src/Nabla.Cli" -c Release -o "$feed" -nologo -v quiet
listing=$(unzip -l "$feed/Nabla.$version.nupkg")
nuspec=$(unzip -p "$feed/Nabla.$version.nupkg" Nabla.nuspec)
grep -q 'README.md' <<<"$listing" || { echo "check_package: README.md missing from the package" >&2; exit 1; }
grep -q 'lib/net10.0/Nabla.xml' <<<"$listing" || { echo "check_package: XML docs missing from the package" >&2; exit 1; }
grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || { echo "check_package: MIT licence expression missing" >&2; exit 1; }
grep -q '<readme>README.md</readme>' <<<"$nuspec" || { echo "check_package: the nuspec names no readme" >&2; exit 1; }

echo "check_package: a fresh console app using the README snippet"
app="$work/app"
mkdir -p "$app"
cd "$app"
dotnet new console -n UsesNabla -o . --force >/dev/null
# The snippet: the first ```csharp block after the "## Using the library" heading, unchanged.
awk '/^## Using the library/{s=1} s&&/^```csharp/{c=1;next} c&&/^```/{exit} c' "$repo/README.md" > Program.cs
[ -s Program.cs ] || { echo "check_package: no csharp block under '## Using the library' in README.md" >&2; exit 1; }
dotnet add package Nabla --version "$version" --source "$feed" >/dev/null
# What restore took must be the package packed above, byte for byte.
cmp -s "$feed/Nabla.$version.nupkg" "$NUGET_PACKAGES/nabla/$version/nabla.$version.nupkg" \
  || { echo "check_package: restore did not take $feed/Nabla.$version.nupkg" >&2; exit 1; }
dotnet run -c Release
echo "check_package: the snippet ran"

echo "check_package: the nabla tool"
dotnet tool install --tool-path "$work/tools" --add-source "$feed" Nabla.Cli --version "$version" >/dev/null
cd "$work"
"$work/tools/nabla" summary lenet5 | tee "$work/summary.txt" | tail -3
grep -q '61,706\|61706' "$work/summary.txt" || { echo "check_package: 'nabla summary lenet5' did not report lenet5's 61,706 parameters" >&2; exit 1; }
echo "check_package: OK (Nabla $version library and tool)"
