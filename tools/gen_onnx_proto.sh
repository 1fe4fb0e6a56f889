#!/bin/sh
# Regenerates src/Nabla/IO/Onnx/Generated/OnnxProto.g.cs from Nabla's ONNX subset schema.
# Needs protoc (Debian: protobuf-compiler); the generated code runs on the Google.Protobuf package.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/src/Nabla/IO/Onnx"
tmp=$(mktemp -d)
protoc --proto_path="$dir" --csharp_out="$tmp" --csharp_opt=file_extension=.g.cs "$dir/onnx_subset.proto"
mv "$tmp/OnnxSubset.g.cs" "$dir/Generated/OnnxProto.g.cs"
rmdir "$tmp"
echo "wrote $dir/Generated/OnnxProto.g.cs"
