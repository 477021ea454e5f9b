; Interrupt and exception entry stubs for i686 (SDM Vol. 3A 6.12).
; The stubs come from trapstubs.inc (shared with the other arch); trap_common
; saves the general registers into a TrapFrame (trapframe.h) and calls trap_dispatch(frame).
bits 32
section .text
extern trap_dispatch

%include "trapstubs.inc"

TRAP_STUBS dword

trap_common:
    pusha                       ; eax ecx edx ebx esp ebp esi edi
    mov eax, esp
    cld
    push eax
    call trap_dispatch
    add esp, 4
    popa
    add esp, 8                  ; vector and error code
    iret

section .rodata
TRAP_STUB_TABLE dd
