; Interrupt and exception entry stubs for i686 (SDM Vol. 3A 6.12).
; Every vector gets a stub that makes the stack look the same (an error code is
; pushed where the CPU does not push one), then trap_common saves the general
; registers into a TrapFrame (trapframe.h) and calls trap_dispatch(frame).
bits 32
section .text
extern trap_dispatch

%macro STUB 1
align 16
stub_%1:
%if (%1 = 8) || (%1 >= 10 && %1 <= 14) || (%1 = 17) || (%1 = 21) || (%1 = 29) || (%1 = 30)
    push dword %1
%else
    push dword 0
    push dword %1
%endif
    jmp trap_common
%endmacro

%assign i 0
%rep 256
STUB i
%assign i i + 1
%endrep

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
global trap_stubs
align 4
trap_stubs:
%assign i 0
%rep 256
    dd stub_ %+ i
%assign i i + 1
%endrep
