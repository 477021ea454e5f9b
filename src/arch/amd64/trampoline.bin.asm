; The amd64 AP trampoline: real mode -> protected mode -> long mode
; (SDM Vol. 3A 8.4.4.1 and 9.8.5). Assembled as a flat binary, embedded in the
; kernel (trampoline.asm) and copied by the BSP to a reserved page below 1 MiB;
; a SIPI with vector = page >> 12 starts an AP here at CS = vector << 8, IP = 0.
;
; The code learns its own address from CS; its three absolute addresses are
; relocated by the BSP (relocs, at the end), and it never stores into its
; own page, so every AP may run it at the same time. (A second SIPI does not restart an AP already running it:
; only a CPU in wait-for-SIPI acts on a SIPI, SDM 8.4.4.1.)
%include "trampoline.inc"

; [long mode]
ap_found:
    mov edi, [edi + TE_CPU]         ; Cpu* (the kernel lives below 4 GiB)
    mov dword [edi + CPU_STAGE], 1  ; stage 1: in the trampoline
    cmp byte [edi + CPU_STAGE - 1], 0 ; Cpu::stop_in_trampoline: a fault injected
    jne stop_here                   ; on purpose (ap_noanswer, ap_stop_stage=1)
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

farptr64:                           ; the far jump into the 64-bit code segment
    dd long_mode                    ; relocated (+ this page) by the BSP
    dw 0x18

; [relocs]
relocs:                             ; dwords the BSP adds this page's address to
    dd 3, tgdtr + 2, farptr32, farptr64
; [relocs]
