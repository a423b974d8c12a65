#!/usr/bin/env python3
"""Opens a tinytune training checkpoint (train/checkpoint.h) with h5py and prints its tensors
(name, shape, dtype) and scalars: shows the file is plain HDF5, readable outside tinytune.

Usage: check_checkpoint_h5py.py [PATH]   (default: the temp dir's tinytune_checkpoint_example.h5,
which `tinytune_tests -tc="*checkpoint*"` leaves behind). Needs h5py and numpy.
"""
import os
import sys
import tempfile

import h5py
import numpy as np

VERSION_ATTRIBUTE = "tinytune_checkpoint_version"


def scalar(value):
    # Strings are fixed-length UTF-8, which h5py returns as bytes.
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        tempfile.gettempdir(), "tinytune_checkpoint_example.h5")
    with h5py.File(path, "r") as f:
        version = f.attrs.get(VERSION_ATTRIBUTE)
        if version is None:
            sys.exit(f"{path}: not a tinytune checkpoint (no {VERSION_ATTRIBUTE} attribute)")
        print(f"{path}: {VERSION_ATTRIBUTE} = {int(version)}")

        tensors = []
        f.visititems(lambda name, obj: tensors.append((name, obj))
                     if isinstance(obj, h5py.Dataset) else None)
        print(f"tensors ({len(tensors)}):")
        for name, dataset in tensors:
            data = dataset[()]  # reads (and checks the Fletcher-32 checksums of) every chunk
            detail = f"sum={np.sum(data, dtype=np.float64):.6g}" if data.size else "empty"
            filters = "+fletcher32" if dataset.fletcher32 else ""
            print(f"  {name:58s} shape={str(dataset.shape):9s} dtype={str(dataset.dtype):7s}"
                  f" {detail}{' ' + filters if filters else ''}")

        scalars = {k: scalar(v) for k, v in f.attrs.items() if k != VERSION_ATTRIBUTE}
        print(f"scalars ({len(scalars)}):")
        for name, value in sorted(scalars.items()):
            shown = value if not isinstance(value, str) or len(value) <= 70 else value[:67] + "..."
            print(f"  {name:20s} {type(value).__name__:5s} {shown!r}")


if __name__ == "__main__":
    main()
