import { DUMP_FORMATS } from '@vmcore/dump/formats';

const FORMATS = DUMP_FORMATS.join(', ');

export const MAIN_HELP = `Usage: vmcore <command> [options]

Crash dumps from virtual-machine guest memory (what QEMU's dump-guest-memory writes).

Commands:
  convert     convert a vmcore (ELF, kdump, flattened kdump) to another format
  dump        dump raw guest RAM files described by a block map
  info        describe a vmcore: format, machine, memory, CPUs, notes, VMCOREINFO
  dmesg       print the guest kernel's log (makedumpfile --dump-dmesg format)
  reassemble  turn a flattened kdump stream into a raw kdump file (makedumpfile -R)
  demo        dump the sample guest into every format, read each back and verify it

Options:
  -h, --help     show help (also: vmcore <command> --help)
  -V, --version  show the version

Formats: ${FORMATS}
Exit status: 0 success, 1 error, 2 usage error, 130 interrupted (SIGINT), 143 terminated (SIGTERM).
An interrupted or failed command leaves no file under OUT's name, and no command writes over
one of its own inputs (the same file by device and inode, whatever the path).
`;

export const COMMAND_HELP: Record<string, string> = {
  convert: `Usage: vmcore convert IN OUT --format FMT [options]

Reads IN (an ELF core, a raw or flattened kdump file; detected by content) and writes it as FMT.
OUT is a file, written under a temporary name and renamed when complete, or '-' for stdout
(elf and the flattened kdump-* formats stream; kdump-raw-* need a seekable file).

Options:
  -f, --format FMT     output format: ${FORMATS}
      --begin ADDR     first guest-physical address to dump (elf only, with --length)
      --length LEN     bytes to dump from --begin (elf only); K/M/G suffixes allowed; begin and
                       length are QEMU's int64 values, clamped as dump-guest-memory clamps them
      --paging         PT_LOADs with virtual addresses from the guest page tables, like QEMU's
                       paging=true (elf only; x86 guests; needs the QEMU CPU notes)
      --phys-base ADDR kdump phys_base (default: from VMCOREINFO, a memory scan or page tables)
      --workers N      parallel compression lanes for kdump formats (0: in the main thread)
      --zlib-level N   zlib level 1-9 for kdump-zlib formats (default 1, as QEMU; 9: smaller files)
  -d, --dump-level N   kdump formats: leave pages out as makedumpfile -d N does (0-31, a sum of
                       1 zero pages, 2 cache pages, 4 cache pages with private data, 8 user
                       data, 16 free pages), from the guest kernel's page structs (VMCOREINFO)
      --mode OCTAL     mode of the created file (default 644)
      --allow-sparse   read an ELF core whose PT_LOADs claim more than 1 GiB (and more than the
                       file's size) of memory the file does not store (p_memsz > p_filesz; read
                       as zeros), and write a kdump whose bitmaps exceed 1 GiB and the guest's
                       memory (a small block at a huge address); without it both are refused
                       before anything is written, as the output would be mostly zeros
  -q, --quiet          no progress bar and no warnings
  -h, --help           show this help
`,
  dump: `Usage: vmcore dump --map MAP.json [--ram FILE]... --format FMT [options] OUT

Dumps guest RAM from raw files (a QEMU memory-backend file, a snapshot) described by a block map:
  { "blocks": [ { "start": 0, "size": 655360, "file": "ram.img", "offset": 0, "name": "pc.ram" }, ... ] }
or the shorthand { "machine": "pc" | "q35", "ramSize": 536870912, "file": "ram.img" }.
Map file names are relative to the map's folder; --ram FILE replaces the map file with the same
base name (or the only one). RAM has no CPU state: --notes-from takes the CPU notes and the
VMCOREINFO note from another dump of the same stopped guest. Without it the architecture comes
from --arch, the map's "arch" field, the pc/q35 shorthand, or the VMCOREINFO note in the RAM;
when none of them says, the dump is refused. --qemu-target (or the map's "qemuTarget") names the
qemu-system binary the guest ran under: win-dmp exists only for x86_64 (default for i386 guests).

Options:
  -f, --format FMT              output format: ${FORMATS}
      --map MAP.json            block map (required)
      --ram FILE                RAM file (repeatable)
      --notes-from DUMP         ELF or kdump file to copy CPU notes and the guest note from
      --arch ARCH               guest architecture without --notes-from: x86_64, i386, aarch64,
                                s390x or ppc64
      --qemu-target TARGET      the qemu-system-TARGET serving the guest (i386 guests: x86_64
                                unless i386; only x86_64 writes win-dmp)
      --vmcoreinfo-entry HEX    the 16-byte fw_cfg etc/vmcoreinfo entry (32 hex digits) to find
                                the VMCOREINFO note in guest memory, as QEMU does
      --vmcoreinfo-paddr ADDR   guest-physical address of the VMCOREINFO note (with --vmcoreinfo-size)
      --vmcoreinfo-size N       size of the VMCOREINFO note region
      --begin ADDR --length LEN dump only this guest-physical range (elf only)
      --paging                  virtual mappings from the guest page tables (elf only)
      --phys-base ADDR          kdump phys_base (default: resolved from the guest)
      --workers N               parallel compression lanes for kdump formats (0: in the main thread)
      --zlib-level N            zlib level 1-9 for kdump-zlib formats (default 1, as QEMU)
  -d, --dump-level N            kdump formats: leave pages out as makedumpfile -d N (0-31)
      --mode OCTAL              mode of the created file (default 644)
  -q, --quiet                   no progress bar and no warnings
  -h, --help                    show this help
`,
  info: `Usage: vmcore info FILE [--json]

Describes a vmcore: format, ELF class, byte order, machine, page size, memory blocks, CPUs,
notes, VMCOREINFO (OSRELEASE, phys_base and where it came from), file size, and for kdump files
the page statistics (zero, compressed and raw pages, compression ratio).

Options:
      --json   print one JSON object (64-bit values as 0x-hex strings)
  -h, --help   show this help
`,
  dmesg: `Usage: vmcore dmesg FILE [--json]

Prints the kernel log of a Linux guest from any vmcore (ELF, kdump raw or flattened), read from
the kernel's printk buffer (the lockless ring buffer of Linux 5.10+, or the older log_buf) with
VMCOREINFO only (no debug symbols). Without VMCOREINFO in the file, the kernel's note is looked
for in guest memory. The text is exactly what 'makedumpfile --dump-dmesg' writes.

Options:
      --json   one JSON object per record: sequence, timestamp (s), timestampNsec, level,
               facility, text, caller (T<pid> or C<cpu>, when the kernel records it)
  -h, --help   show this help
`,
  reassemble: `Usage: vmcore reassemble IN|- OUT

Turns a makedumpfile flattened stream (kdump-zlib/lzo/snappy output) into a raw kdump file, like
'makedumpfile -R OUT < IN'. IN '-' reads stdin. OUT appears only when the whole stream was read.

Options:
  -h, --help   show this help
`,
  demo: `Usage: vmcore demo [--guest DUMP] [--keep DIR]

Dumps the built-in sample guest (tools/qemu-guest/sample/sample-guest.kdump or .elf; a synthetic
guest when it is missing) into every format into a temporary folder, reads each file back, compares
every page with the source and prints a table. Exits 1 if any verification fails.

Options:
      --guest DUMP   use this vmcore as the source guest instead of the sample
      --keep DIR     write the dumps into DIR and keep them
  -q, --quiet        no progress bar
  -h, --help         show this help
`,
};
