; The amd64 AP trampoline: real mode -> protected mode -> long mode
; (SDM Vol. 3A 8.4.4.1 and 9.8.5). Assembled as a flat binary, embedded in the
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
; [layout header]
header:
    dd TRAMP_MAGIC, SB_OFFSET, SB_SIZE, SB_TABLE, SB_IDTR, TE_SIZE, TE_CPU
    dd CPU_KSTACK, CPU_GDTR, CPU_STAGE
; [layout header]
    times SB_OFFSET - ($ - $$) db 0
start_block:
    times SB_SIZE db 0              ; filled by the BSP (smpboot.cpp)

    align 8
tgdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code
    dq 0x00CF92000000FFFF           ; 0x10: data
    dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code
tgdt_end:
tgdtr:
    dw tgdt_end - tgdt - 1
    dd 0                            ; base: this page + tgdt, written below
farptr32:
    dd 0
    dw 0x08
farptr64:
    dd 0
    dw 0x18

; [real mode]
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
; [real mode]

bits 32
; [find self]
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
; [find self]

; [long mode]
.found:
    mov edi, [edi + TE_CPU]         ; Cpu* (the kernel lives below 4 GiB)
    mov dword [edi + CPU_STAGE], 1  ; stage 1: in the trampoline
    mov esp, [edi + CPU_KSTACK]
    mov eax, [ebp + SB_OFFSET + SB_CR4]
    mov cr4, eax                    ; PAE (and whatever else the BSP has)
    mov eax, [ebp + SB_OFFSET + SB_CR3]
    mov cr3, eax                    ; the BSP's PML4
    mov ecx, 0xC0000080             ; IA32_EFER
    rdmsr
    or eax, [ebp + SB_OFFSET + SB_EFER]
    wrmsr                           ; LME (and NXE)
    mov eax, [ebp + SB_OFFSET + SB_CR0]
    mov cr0, eax                    ; PG: long mode is active now
    lea eax, [ebp + long_mode]
    mov [ebp + farptr64], eax
    jmp far [ebp + farptr64]

bits 64
long_mode:
    mov edi, edi                    ; upper halves are undefined after the switch
    mov ebp, ebp
    mov esp, esp
    lgdt [rdi + CPU_GDTR]           ; this CPU's own GDT, built by the BSP
    lea rax, [rel .reload_cs]
    push 0x08
    push rax
    retfq
.reload_cs:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov eax, edi                    ; GS base = this CPU's block
    mov rdx, rdi
    shr rdx, 32
    mov ecx, 0xC0000101             ; IA32_GS_BASE
    wrmsr
    lidt [rbp + SB_OFFSET + SB_IDTR]
    mov dword [rdi + CPU_STAGE], 2  ; stage 2: long mode, own GDT and stack
    mov rax, [rbp + SB_OFFSET + SB_ENTRY]
    xor ebp, ebp                    ; the end of the frame-pointer chain
    call rax                        ; mpmain(Cpu* rdi): never returns
; [long mode]
.hang:
    cli
    hlt
    jmp .hang
