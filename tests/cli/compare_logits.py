#!/usr/bin/env python3
"""Compares a logits tensor with a reference, both in safetensors files (standard library only,
so ctest needs no numpy): max |got - ref| / max |ref| must be at most TOL.

Usage: compare_logits.py REF_FILE REF_TENSOR GOT_FILE GOT_TENSOR [TOL]   (TOL default 1e-5)
Exit 0 when within tolerance, 1 otherwise (one line saying by how much)."""
import json
import struct
import sys

FORMATS = {"F32": ("f", 4), "F64": ("d", 8)}


def read_tensor(path, name):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        if name not in header:
            sys.exit(f"{path}: no tensor '{name}' (has {sorted(k for k in header if k != '__metadata__')})")
        entry = header[name]
        code, width = FORMATS[entry["dtype"]]
        begin, end = entry["data_offsets"]
        f.seek(8 + size + begin)
        data = f.read(end - begin)
    return entry["shape"], struct.unpack(f"<{len(data) // width}{code}", data)


def main():
    ref_file, ref_name, got_file, got_name = sys.argv[1:5]
    tol = float(sys.argv[5]) if len(sys.argv) > 5 else 1e-5
    ref_shape, ref = read_tensor(ref_file, ref_name)
    got_shape, got = read_tensor(got_file, got_name)
    if ref_shape != got_shape:
        sys.exit(f"{got_file}: '{got_name}' has shape {got_shape}, the reference {ref_shape}")
    scale = max(abs(r) for r in ref)
    rel = max(abs(g - r) for g, r in zip(got, ref)) / scale
    print(f"{ref_name}: max |diff| / max |ref| = {rel:.3g} (tolerance {tol:g})")
    sys.exit(0 if rel <= tol else 1)


if __name__ == "__main__":
    main()
