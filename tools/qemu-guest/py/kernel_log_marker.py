#!/usr/bin/python3
"""Find a text in the kernel log of a dump, read through libkdumpfile alone.

usage: kernel_log_marker.py DUMP TEXT [--ostype NAME] [--linear-offset HEX]

Follows the kernel's printk ring buffer (Linux 5.10+) by kernel virtual addresses, which
libkdumpfile translates with its own architecture code: SYMBOL(prb) → struct printk_ringbuffer →
text_data_ring {size_bits, data} → the text ring, then looks for TEXT in it. Only the OS type is
set (as for every format); nothing about the architecture or page size.

--linear-offset HEX reads kernel-physical addresses (KDUMP_KPHYSADDR) instead, at virtual −
HEX: for a kernel whose printk buffers lie in a linear map libkdumpfile cannot set up itself
(i386 lowmem, PAGE_OFFSET 0xc0000000). The ring is still located from the file's VMCOREINFO.
Prints one JSON object: {found, ringBytes, attributes} or {error}.
"""
import json
import sys

import kdumpfile


def main():
    args = sys.argv[1:]
    ostype = "linux"
    linear = None
    if "--linear-offset" in args:
        i = args.index("--linear-offset")
        linear = int(args[i + 1], 16)
        del args[i:i + 2]
    if "--ostype" in args:
        i = args.index("--ostype")
        ostype = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        raise SystemExit("usage: kernel_log_marker.py DUMP TEXT [--ostype NAME]")
    dump, text = args
    try:
        k = kdumpfile.kdumpfile(dump)
        attrs = {}
        if ostype:
            k.attr["addrxlat.ostype"] = ostype
            attrs["addrxlat.ostype"] = ostype
        info = k.attr["linux.vmcoreinfo"]
        prb = int(info["SYMBOL"]["prb"])
        off = info["OFFSET"]
        # prb is a pointer to the ring buffer (printk_rb_static or the dynamic one)
        ptr_size = 8 if int(info["SIZE"]["list_head"]) == 16 else 4
        order = "little" if k.attr["arch.byte_order"] == 1 else "big"

        def read(addr, size):
            if linear is None:
                return k.read(kdumpfile.KDUMP_KVADDR, addr, size)
            if addr < linear:
                raise ValueError(f"{addr:#x} is below the linear offset {linear:#x}")
            return k.read(kdumpfile.KDUMP_KPHYSADDR, addr - linear, size)

        def word(addr, size):
            return int.from_bytes(read(addr, size), order)

        rb = word(prb, ptr_size)
        ring = rb + int(off["printk_ringbuffer"]["text_data_ring"])
        size_bits = word(ring + int(off["prb_data_ring"]["size_bits"]), 4)
        data = word(ring + int(off["prb_data_ring"]["data"]), ptr_size)
        if size_bits > 30:
            raise ValueError(f"text ring of 2^{size_bits} bytes is implausible")
        blob = read(data, 1 << size_bits)
        print(json.dumps({"found": text.encode() in blob, "ringBytes": len(blob), "attributes": attrs,
                          "arch": k.attr["arch.name"], "addressSpace": "KVADDR" if linear is None else "KPHYSADDR"}))
    except Exception as e:  # noqa: BLE001 - report what libkdumpfile raised
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
