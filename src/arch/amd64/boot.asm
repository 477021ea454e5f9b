; Multiboot2 entry for amd64 (Multiboot2 spec 3.1.2, 3.3; SDM Vol. 3A 9.8.5).
;
; GRUB enters here in 32-bit protected mode, paging off, with EAX = the
; Multiboot2 magic and EBX = the boot information, under BIOS and under UEFI
; alike. We check for long mode, identity-map the first 4 GiB with 2 MiB pages,
; enable PAE, EFER.LME (and NXE when present) and paging, load a 64-bit GDT and
; call kmain(magic, info) in long mode with GS pointing at the BSP's per-CPU block.

%include "mb2header.inc"

%include "boot32.inc"

section .boot.text progbits alloc exec nowrite align=16
bits 32
global _start
extern kmain
extern cpus
extern boot_tsc
_start:
    cli
    cld
    mov esi, eax                ; keep magic and info out of cpuid's and rdtsc's way
    mov edi, ebx
    mov esp, boot_stack_top

    ; CPUID present? (EFLAGS.ID toggles) Long mode? Checked before rdtsc:
    ; a CPU without CPUID may have no TSC either.
    JUMP_IF_NO_CPUID .no_cpuid
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29           ; LM
    jz .no_long_mode
    mov ebp, edx                ; remember NX (bit 20)
    rdtsc                       ; the kernel's time zero (smp: ... in N ms counts from here)
    mov [boot_tsc], eax
    mov [boot_tsc + 4], edx

    ; [identity map]
    ; PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages.
    mov eax, boot_pdpt
    or eax, 0x3                 ; present, writable
    mov [boot_pml4], eax
    xor ecx, ecx
.pdpt:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, 0x3
    mov [boot_pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jne .pdpt
    xor ecx, ecx                ; 2048 entries: 4 GiB
.pd:
    mov eax, ecx
    shl eax, 21                 ; low 32 bits of the physical address
    or eax, 0x83                ; present, writable, 2 MiB page (PS)
    mov edx, ecx
    shr edx, 11                 ; bits 32+ of the address (0: all below 4 GiB)
    mov [boot_pd + ecx * 8], eax
    mov [boot_pd + ecx * 8 + 4], edx
    inc ecx
    cmp ecx, 2048
    jne .pd
    ; [identity map]

    ; [long mode]
    mov eax, cr4
    or eax, 1 << 5              ; PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, 0xC0000080         ; IA32_EFER
    rdmsr
    or eax, 1 << 8              ; LME
    test ebp, 1 << 20
    jz .no_nx
    or eax, 1 << 11             ; NXE
.no_nx:
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1   ; PG, WP, PE
    mov cr0, eax
    lgdt [boot_gdt_ptr]
    jmp 0x08:.long_mode
    ; [long mode]

.no_cpuid:
    DIE_WITH_MESSAGE no_cpuid_msg
.no_long_mode:
    ; Say why on COM1 and the VGA screen, then stop.
    DIE_LACKING lm_name, no_lm_msg

bits 64
.long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    ; [gs for bsp]
    ; GS base = &cpus[0], and cpus[0].self = &cpus[0] (per-CPU block, offset 0).
    mov rax, cpus
    mov [rax], rax
    mov rdx, rax
    shr rdx, 32
    mov ecx, 0xC0000101         ; IA32_GS_BASE
    wrmsr
    ; [gs for bsp]
    mov eax, edi                ; kmain(magic, info): edi held info, esi magic;
    mov edi, esi                ; 32-bit moves zero-extend into the 64-bit registers
    mov esi, eax
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .rodata
no_cpuid_msg: db "Cohort: this CPU has no CPUID instruction, so no long mode; boot the i686 ISO on a Pentium Pro or later.", 0
lm_name: db "long mode (CPUID.80000001H:EDX[29])", 0
no_lm_msg: db "the amd64 kernel needs it: boot the i686 ISO instead; halted.", 0
BOOT32_DIE_DATA
align 8
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF       ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF       ; 0x10: data
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

section .bss
align 4096
global boot_pml4, boot_pdpt, boot_pd
boot_pml4: resb 4096
boot_pdpt: resb 4096
boot_pd:   resb 4 * 4096
align 16
global boot_stack_top
boot_stack: resb 16384
boot_stack_top:
