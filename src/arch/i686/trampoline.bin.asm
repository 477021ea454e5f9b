; The i686 AP trampoline: real mode -> protected mode with paging
; (SDM Vol. 3A 8.4.4.1, 9.9.1). Assembled as a flat binary, embedded in the
; kernel (trampoline.asm) and copied by the BSP to a reserved page below 1 MiB;
; a SIPI with vector = page >> 12 starts an AP here at CS = vector << 8, IP = 0.
;
; The code learns its own address from CS; its two absolute addresses are
; relocated by the BSP (relocs, at the end), and it never stores into its
; own page, so every AP may run it at the same time. (A second SIPI does not restart an AP already running it:
; only a CPU in wait-for-SIPI acts on a SIPI, SDM 8.4.4.1.)
%include "trampoline.inc"

; [paging on]
ap_found:
    mov edi, [edi + TE_CPU]         ; Cpu*
    mov dword [edi + CPU_STAGE], 1  ; stage 1: in the trampoline
    cmp byte [edi + CPU_STAGE - 1], 0 ; Cpu::stop_in_trampoline: a fault injected
    jne stop_here                   ; on purpose (ap_noanswer, ap_stop_stage=1)
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

; [relocs]
relocs:                             ; dwords the BSP adds this page's address to
    dd 2, tgdtr + 2, farptr32
; [relocs]
