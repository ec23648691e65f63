#!/usr/bin/python3
"""Compare every page of a dump, read through libkdumpfile, with the guest's RAM file.

usage: verify_pages.py DUMP MAP_JSON RAM_FILE [--arch NAME] [--ostype NAME]

MAP_JSON is a block map ({"blocks": [{start, size, offset, ...}]}, every block in the RAM file)
or a physmap ({"blocks": [... "inRamFile": bool]}, only blocks with inRamFile are compared).
Prints one JSON object: {pages, mismatches, unreadable, firstMismatches, firstUnreadable,
attributes}. Exit status 0 whenever the comparison ran, 2 when the dump cannot be opened.
"""
import json
import sys

import kdumpfile

PAGE = 4096
CHUNK = 1 << 20


def parse_args(argv):
    args = {"arch": None, "ostype": "linux", "page_by_page": False}
    pos = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--arch", "--ostype"):
            if i + 1 >= len(argv):
                raise SystemExit(f"verify_pages.py: {a} needs a value")
            args[a[2:]] = argv[i + 1]
            i += 2
            continue
        if a == "--page-by-page":
            # libkdumpfile 0.5 (Debian 12) can crash in a page read that follows a failed
            # multi-page read over excluded pages (seen on makedumpfile's own -d 31 files).
            args["page_by_page"] = True
            i += 1
            continue
        pos.append(a)
        i += 1
    if len(pos) != 3:
        raise SystemExit("usage: verify_pages.py DUMP MAP_JSON RAM_FILE [--arch NAME] [--ostype NAME]")
    args["dump"], args["map"], args["ram"] = pos
    return args


def load_blocks(path):
    with open(path) as f:
        doc = json.load(f)
    out = []
    for b in doc["blocks"]:
        if "inRamFile" in b and not b["inRamFile"]:
            continue
        out.append((int(b["start"]), int(b["size"]), int(b["offset"])))
    return out


def main():
    args = parse_args(sys.argv[1:])
    try:
        k = kdumpfile.kdumpfile(args["dump"])
    except Exception as e:  # noqa: BLE001 - report whatever libkdumpfile raised
        print(json.dumps({"error": f"open {args['dump']}: {e}"}))
        return 2
    set_attrs = {}
    # A kdump file with an empty utsname (QEMU fills only machine) may need the arch by hand.
    if args["arch"]:
        k.attr["arch.name"] = args["arch"]
        set_attrs["arch.name"] = args["arch"]
    # ELF dumps need the OS type before physical reads work at all (REFERENCE.md).
    if args["ostype"]:
        try:
            k.attr["addrxlat.ostype"] = args["ostype"]
            set_attrs["addrxlat.ostype"] = args["ostype"]
        except Exception as e:  # noqa: BLE001
            set_attrs["addrxlat.ostype.error"] = str(e)

    pages = mismatches = unreadable = 0
    first_mismatch = []
    first_unreadable = []
    with open(args["ram"], "rb") as ram:
        for start, size, offset in load_blocks(args["map"]):
            pos = 0
            while pos < size:
                n = min(CHUNK, size - pos)
                ram.seek(offset + pos)
                want = ram.read(n)
                got = None
                if not args["page_by_page"]:
                    try:
                        got = k.read(kdumpfile.KDUMP_KPHYSADDR, start + pos, n)
                    except Exception:  # noqa: BLE001 - fall back to page reads to count the bad ones
                        got = None
                if got is not None and bytes(got) == want:
                    pages += (n + PAGE - 1) // PAGE
                    pos += n
                    continue
                for p in range(0, n, PAGE):
                    m = min(PAGE, n - p)
                    addr = start + pos + p
                    pages += 1
                    try:
                        page = bytes(k.read(kdumpfile.KDUMP_KPHYSADDR, addr, m))
                    except Exception as e:  # noqa: BLE001
                        unreadable += 1
                        if len(first_unreadable) < 8:
                            first_unreadable.append({"paddr": hex(addr), "error": str(e)})
                        continue
                    if page != want[p:p + m]:
                        mismatches += 1
                        if len(first_mismatch) < 8:
                            first_mismatch.append(hex(addr))
                pos += n
    print(json.dumps({
        "pages": pages,
        "mismatches": mismatches,
        "unreadable": unreadable,
        "firstMismatches": first_mismatch,
        "firstUnreadable": first_unreadable,
        "attributes": set_attrs,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
