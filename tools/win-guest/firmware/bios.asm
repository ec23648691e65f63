; The synthetic Windows guest's firmware: a 64 KiB -bios image for QEMU's pc machine.
; It does what the virtio-win fwcfg driver does for QEMU's win-dmp, nothing more:
;   1. finds the fw_cfg file "etc/vmcoreinfo" in the file directory (ports 0x510/0x511),
;   2. writes the 16-byte entry {host_format 0, guest_format 1 (ELF), size, paddr} to it with a
;      DMA write (FWCfgDmaAccess, address through ports 0x514/0x518, big-endian),
;   3. enters long mode on the guest's own page tables (CR3 = the dump header's
;      DirectoryTableBase, which identity-maps the low memory this code runs from),
;   4. writes DONE_MAGIC to DONE_ADDR and halts for ever.
; Assembled per guest: nasm -f bin -DNOTE_PADDR=... -DNOTE_SIZE=... -DCR3=... -DDONE_ADDR=...
bits 16
org 0

%define FW_CFG_CTL 0x510
%define FW_CFG_DATA 0x511
%define FW_CFG_DMA_HI 0x514
%define FW_CFG_DMA_LO 0x518
%define FW_CFG_FILE_DIR 0x19
%define DMA_DESC 0x500          ; FWCfgDmaAccess {be32 control, be32 length, be64 address}
%define ENTRY 0x520             ; the etc/vmcoreinfo entry written by DMA
%define NAME_BUF 0x600
%define DONE_MAGIC 0x454e4f44   ; "DONE"

start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7000

    ; the file directory: be32 count, then {be32 size, be16 select, be16 reserved, char name[56]}
    mov dx, FW_CFG_CTL
    mov ax, FW_CFG_FILE_DIR
    out dx, ax
    mov dx, FW_CFG_DATA
    call read_be32
    mov esi, eax                ; files left
.next_file:
    test esi, esi
    jz fail
    dec esi
    call read_be32              ; size (unused)
    call read_be16
    mov bx, ax                  ; select
    call read_be16              ; reserved
    mov di, NAME_BUF
    mov cx, 56
.name:
    in al, dx
    stosb
    loop .name
    mov si, wanted
    mov di, NAME_BUF
    mov cx, wanted_len
.cmp:
    mov al, [cs:si]
    cmp al, [di]
    jne .next_file
    inc si
    inc di
    loop .cmp

    ; the entry, little-endian
    mov word [ENTRY + 0], 0
    mov word [ENTRY + 2], 1
    mov dword [ENTRY + 4], NOTE_SIZE
    mov dword [ENTRY + 8], NOTE_PADDR & 0xffffffff
    mov dword [ENTRY + 12], NOTE_PADDR >> 32
    ; control = (select << 16) | FW_CFG_DMA_CTL_SELECT (0x08) | FW_CFG_DMA_CTL_WRITE (0x10), big-endian
    movzx eax, bx
    shl eax, 16
    or eax, 0x18
    bswap eax
    mov [DMA_DESC + 0], eax
    mov eax, 16
    bswap eax
    mov [DMA_DESC + 4], eax
    mov dword [DMA_DESC + 8], 0
    mov eax, ENTRY
    bswap eax
    mov [DMA_DESC + 12], eax
    ; the descriptor's address: high half to 0x514, then low half to 0x518 (starts the transfer)
    mov dx, FW_CFG_DMA_HI
    xor eax, eax
    out dx, eax
    mov dx, FW_CFG_DMA_LO
    mov eax, DMA_DESC
    bswap eax
    out dx, eax

    ; long mode: PAE, CR3, EFER.LME, then PE and PG together, then a far jump to 64-bit code
    lgdt [cs:gdt_desc]
    mov eax, 0x20
    mov cr4, eax
    mov eax, CR3 & 0xffffffff
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, 0x100
    wrmsr
    mov eax, 0x80000011
    mov cr0, eax
    jmp dword 0x08:(0xf0000 + long_mode)

fail:
    hlt
    jmp fail

read_be32:                      ; eax = next 4 data bytes as a big-endian number
    xor eax, eax
    mov cx, 4
.b:
    shl eax, 8
    in al, dx
    loop .b
    ret

read_be16:
    xor ax, ax
    in al, dx
    shl ax, 8
    in al, dx
    ret

wanted: db "etc/vmcoreinfo", 0
wanted_len equ $ - wanted

align 8
gdt:
    dq 0
    dq 0x00209a0000000000       ; 0x08: 64-bit code
    dq 0x0000920000000000       ; 0x10: data
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd 0xf0000 + gdt

bits 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov dword [DONE_ADDR], DONE_MAGIC
.halt:
    hlt
    jmp .halt

    times 0xfff0 - ($ - $$) db 0
bits 16
reset:
    jmp 0xf000:start
    times 0x10000 - ($ - $$) db 0
