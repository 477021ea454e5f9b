; Interrupt and exception entry stubs for i686 (SDM Vol. 3A 6.12).
; The stubs come from trapstubs.inc (shared with the other arch); trap_common
; saves the segment and general registers into a TrapFrame (trapframe.h) and
; calls trap_dispatch(frame).
;
; Segments: user code may leave anything it is allowed to in DS, ES, FS and GS
; (a null selector, its own data segment), while the kernel needs flat DS/ES
; and GS = SEL_PERCPU for this_cpu(). The CPU reloads only CS and SS on an
; entry from ring 3 (SDM Vol. 3A 6.12.1), so trap_common saves the four and
; loads the kernel's, and puts the saved ones back on the way out. It does so
; on EVERY entry, not only from ring 3: an NMI or machine check can land
; between the `pop gs` below and the `iret`, in ring 0 with the user's GS, and
; must find its per-CPU block all the same (amd64's SWAPGS has the same
; window and decides by IA32_GS_BASE; here reloading always is cheaper than
; deciding). Restoring cannot fault: the GDT never changes, and a selector
; the user loaded once passed the checks of SDM Vol. 3A 5.6.
bits 32
section .text
extern trap_dispatch, syscall_dispatch

%include "trapstubs.inc"

SEL_KDATA  equ 0x10             ; archcpu.h
SEL_PERCPU equ 0x18

TRAP_STUBS dword

; The rest of the TrapFrame (trapframe.h) below the stub's vector and error
; code, and the kernel's segments in place of the interrupted code's.
%macro SAVE_FRAME 0
    ; [segments on entry]
    push ds
    push es
    push fs
    push gs
    pusha                       ; eax ecx edx ebx esp ebp esi edi
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov ax, SEL_PERCPU
    mov gs, ax
    xor eax, eax
    mov fs, ax
    ; [segments on entry]
%endmacro

global trap_return, syscall_entry, user_iretq
trap_common:
    SAVE_FRAME
    mov eax, esp
    cld
    push eax
    call trap_dispatch
    add esp, 4
trap_return:
    popa
    pop gs
    pop fs
    pop es
    pop ds
    add esp, 8                  ; vector and error code
user_iretq:                     ; process.cpp: a fault here is the return to ring 3's
    iret

; `int 0x80` (the IDT gate of vector 0x80 points here, DPL 3: cpu_arch.cpp).
; The same frame as any trap, vector 0x80, then the portable
; syscall_dispatch(frame) with interrupts on: a system call may sleep, yield
; or be preempted like any thread. The gate is an interrupt gate all the same,
; so that nothing runs on the user's segments: interrupts go on only once the
; kernel's are loaded.
syscall_entry:
    push dword 0                ; error code
    push dword 0x80             ; vector
    SAVE_FRAME
    mov eax, esp
    xor ebp, ebp                ; the user's EBP is no kernel frame (backtraces stop here)
    cld
    sti
    push eax
    call syscall_dispatch
    add esp, 4
    cli                         ; the way out restores the user's segments: nothing in between
    jmp trap_return

section .rodata
TRAP_STUB_TABLE dd
