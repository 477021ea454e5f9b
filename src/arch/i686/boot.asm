; Multiboot2 entry for i686 (Multiboot2 spec 3.3; SDM Vol. 3A 4.3).
;
; GRUB enters here in 32-bit protected mode, paging off, EAX = magic, EBX =
; boot information. We identity-map all 4 GiB with 4 MiB pages (CR4.PSE; one
; page directory, no page tables), turn paging on, load a GDT whose GS segment
; is the BSP's per-CPU block, and call kmain(magic, info).

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
    mov esi, eax
    mov edi, ebx
    mov esp, boot_stack_top

    ; What this build cannot run without, checked before its first use:
    ; CPUID, the TSC (time zero, right below), PSE for the 4 MiB identity
    ; map, CMPXCHG8B for 64-bit atomics and CMOV (-march=i686 emits both).
    ; CPUID.01H:EDX bits (SDM Vol. 2A, CPUID, table "Feature Information").
    JUMP_IF_NO_CPUID .no_cpuid
    mov eax, 1
    cpuid
    test edx, 1 << 4            ; TSC
    jz .no_tsc
    test edx, 1 << 3            ; PSE
    jz .no_pse
    test edx, 1 << 8            ; CX8
    jz .no_cx8
    test edx, 1 << 15           ; CMOV
    jz .no_cmov
    rdtsc                       ; the kernel's time zero
    mov [boot_tsc], eax
    mov [boot_tsc + 4], edx

    ; [identity map]
    xor ecx, ecx
.pd:
    mov eax, ecx
    shl eax, 22
    or eax, 0x83                ; present, writable, 4 MiB page (PS)
    mov [boot_pd + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jne .pd
    mov eax, cr4
    or eax, 1 << 4              ; PSE
    mov cr4, eax
    mov eax, boot_pd
    mov cr3, eax
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1   ; PG, WP, PE
    mov cr0, eax
    ; [identity map]

    ; [percpu segment]
    ; GDT entry 3 (selector 0x18) is the per-CPU segment: base = &cpus[0].
    mov eax, cpus
    mov [eax], eax              ; cpus[0].self = &cpus[0]
    mov [boot_gdt + 0x18 + 2], ax
    shr eax, 16
    mov [boot_gdt + 0x18 + 4], al
    mov [boot_gdt + 0x18 + 7], ah
    lgdt [boot_gdt_ptr]
    jmp 0x08:.flush
.flush:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov ax, 0x18
    mov gs, ax
    ; [percpu segment]
    push edi                    ; kmain(magic, info)
    push esi
    call kmain
.hang:
    cli
    hlt
    jmp .hang

.no_cpuid:
    DIE_WITH_MESSAGE no_cpuid_msg
.no_tsc:
    DIE_LACKING tsc_name, needs_msg
.no_pse:
    DIE_LACKING pse_name, needs_msg
.no_cx8:
    DIE_LACKING cx8_name, needs_msg
.no_cmov:
    DIE_LACKING cmov_name, needs_msg

section .rodata
no_cpuid_msg: db "Cohort: this CPU has no CPUID instruction; the i686 kernel needs a Pentium Pro or later.", 0
tsc_name: db "the TSC (CPUID.01H:EDX[4])", 0
pse_name: db "PSE, 4 MiB pages (CPUID.01H:EDX[3])", 0
cx8_name: db "CMPXCHG8B (CPUID.01H:EDX[8])", 0
cmov_name: db "CMOV (CPUID.01H:EDX[15])", 0
needs_msg: db "the i686 kernel needs CPUID, TSC, PSE, CMPXCHG8B and CMOV (a Pentium Pro or later); halted.", 0
BOOT32_DIE_DATA

section .data
align 8
boot_gdt:
    dq 0
    dq 0x00CF9A000000FFFF       ; 0x08: code, flat
    dq 0x00CF92000000FFFF       ; 0x10: data, flat
    dq 0x004092000000FFFF       ; 0x18: per-CPU data, base patched above, limit 64 KiB
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

section .bss
align 4096
global boot_pd
boot_pd: resb 4096
align 16
global boot_stack_top
boot_stack: resb 16384
boot_stack_top:
