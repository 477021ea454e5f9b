; The i686 AP trampoline: real mode -> protected mode with paging
; (SDM Vol. 3A 8.4.4.1, 9.9.1). Assembled as a flat binary, embedded in the
; kernel (trampoline.asm) and copied by the BSP to a reserved page below 1 MiB;
; a SIPI with vector = page >> 12 starts an AP here at CS = vector << 8, IP = 0.
;
; The code is position independent: it learns its own address from CS, and
; never patches itself with anything but that address, so every AP, and an AP
; that gets a second SIPI, may run it at the same time.
%include "smpboot.inc"

bits 16
org 0
    jmp near real_mode
    align 4
header:
    dd TRAMP_MAGIC, SB_OFFSET, SB_SIZE, SB_TABLE, SB_IDTR, TE_SIZE, TE_CPU
    dd CPU_KSTACK, CPU_GDTR, CPU_STAGE
    times SB_OFFSET - ($ - $$) db 0
start_block:
    times SB_SIZE db 0              ; filled by the BSP (smpboot.cpp)

    align 8
tgdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code
    dq 0x00CF92000000FFFF           ; 0x10: data
tgdt_end:
tgdtr:
    dw tgdt_end - tgdt - 1
    dd 0                            ; base: this page + tgdt, written below
farptr32:
    dd 0
    dw 0x08

real_mode:
    cli
    cld
    xor ebx, ebx
    mov bx, cs
    mov ds, bx
    shl ebx, 4                      ; ebx = physical address of this page
    lock inc dword [SB_OFFSET + SB_ARRIVED]
    lea eax, [ebx + tgdt]
    mov [tgdtr + 2], eax
    lea eax, [ebx + protected_mode]
    mov [farptr32], eax
    o32 lgdt [tgdtr]
    mov eax, cr0
    or eax, 1                       ; PE
    mov cr0, eax
    jmp dword far [farptr32]

bits 32
protected_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov ebp, ebx                    ; ebp = this page from here on

    ; Who am I? CPUID works in any APIC mode (the LAPIC may not be usable yet).
    cmp dword [ebp + SB_OFFSET + SB_APIC_LEAF], 0xB
    jne .leaf1
    mov eax, 0xB
    xor ecx, ecx
    cpuid
    mov esi, edx                    ; 32-bit x2APIC id
    jmp .lookup
.leaf1:
    mov eax, 1
    cpuid
    shr ebx, 24                     ; initial APIC id, 8 bits
    mov esi, ebx
.lookup:
    mov edi, [ebp + SB_OFFSET + SB_TABLE]
    mov ecx, [ebp + SB_OFFSET + SB_COUNT]
.scan:
    test ecx, ecx
    jz .unknown
    cmp [edi + TE_APIC], esi
    je .found
    add edi, TE_SIZE
    dec ecx
    jmp .scan
.unknown:
    lock inc dword [ebp + SB_OFFSET + SB_UNKNOWN]
.park:
    cli
    hlt
    jmp .park

; [paging on]
.found:
    mov edi, [edi + TE_CPU]         ; Cpu*
    mov dword [edi + CPU_STAGE], 1  ; stage 1: in the trampoline
    mov esp, [edi + CPU_KSTACK]
    mov eax, [ebp + SB_OFFSET + SB_CR4]
    mov cr4, eax                    ; PSE: the 4 MiB identity map
    mov eax, [ebp + SB_OFFSET + SB_CR3]
    mov cr3, eax                    ; the BSP's page directory
    mov eax, [ebp + SB_OFFSET + SB_CR0]
    mov cr0, eax                    ; PG, WP
    lgdt [edi + CPU_GDTR]           ; this CPU's own GDT, built by the BSP
    lea eax, [ebp + .flat]
    push dword 0x08
    push eax
    retf
.flat:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov ax, 0x18                    ; the per-CPU segment: base = this CPU's block
    mov gs, ax
    lidt [ebp + SB_OFFSET + SB_IDTR]
    mov dword [edi + CPU_STAGE], 2  ; stage 2: paging, own GDT and stack
    mov eax, [ebp + SB_OFFSET + SB_ENTRY]
    xor ebp, ebp                    ; the end of the frame-pointer chain
    push edi                        ; mpmain(Cpu*): never returns
    call eax
; [paging on]
.hang:
    cli
    hlt
    jmp .hang
