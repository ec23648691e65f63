# The native libraries' view of our streams, for the cross-checks in ../*.test.ts.
# Run with /usr/bin/python3 (Debian's python3-lzo / python3-snappy load only there).
# stdin: u32 page size, then records (u32 length + bytes); stdout: one record per input
# record, length 0xffffffff when the library rejected it.
import struct
import sys
import zlib

import lzo
import snappy

OPS = {
    'lzo1': lambda r, n: lzo.compress(r, 1, False),  # lzo1x_1_compress, no python-lzo header
    'lzo9': lambda r, n: lzo.compress(r, 9, False),  # lzo1x_999_compress
    'unlzo': lambda r, n: lzo.decompress(r, False, n),  # lzo1x_decompress_safe
    'snappy': lambda r, n: snappy.compress(r),  # raw block
    'unsnappy': lambda r, n: snappy.uncompress(r),
    'zlib': lambda r, n: zlib.compress(r, 1),  # compress2(Z_BEST_SPEED)
    'unzlib': lambda r, n: zlib.decompress(r),
}


def main():
    op = OPS[sys.argv[1]]
    data = sys.stdin.buffer.read()
    (page_size,) = struct.unpack_from('<I', data, 0)
    at = 4
    out = []
    while at < len(data):
        (n,) = struct.unpack_from('<I', data, at)
        record = data[at + 4 : at + 4 + n]
        at += 4 + n
        try:
            result = op(record, page_size)
            out.append(struct.pack('<I', len(result)) + result)
        except Exception:
            out.append(struct.pack('<I', 0xFFFFFFFF))
    sys.stdout.buffer.write(b''.join(out))


main()
