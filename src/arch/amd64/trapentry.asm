; Interrupt and exception entry stubs for amd64 (SDM Vol. 3A 6.14).
; Every vector gets a stub that makes the stack look the same (an error code is
; pushed where the CPU does not push one), then trap_common saves the general
; registers into a TrapFrame (trapframe.h) and calls trap_dispatch(frame).
bits 64
section .text
extern trap_dispatch

%macro STUB 1
align 16
stub_%1:
%if (%1 = 8) || (%1 >= 10 && %1 <= 14) || (%1 = 17) || (%1 = 21) || (%1 = 29) || (%1 = 30)
    push qword %1
%else
    push qword 0
    push qword %1
%endif
    jmp trap_common
%endmacro

%assign i 0
%rep 256
STUB i
%assign i i + 1
%endrep

trap_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp                ; 16-byte aligned: 22 quadwords above the CPU-aligned frame
    cld
    call trap_dispatch
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                 ; vector and error code
    iretq

section .rodata
global trap_stubs
align 8
trap_stubs:
%assign i 0
%rep 256
    dq stub_ %+ i
%assign i i + 1
%endrep
