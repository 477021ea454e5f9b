; Interrupt and exception entry stubs for amd64 (SDM Vol. 3A 6.14).
; The stubs come from trapstubs.inc (shared with the other arch); trap_common
; saves the general registers into a TrapFrame (trapframe.h) and calls trap_dispatch(frame).
bits 64
section .text
extern trap_dispatch

%include "trapstubs.inc"

TRAP_STUBS qword

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
TRAP_STUB_TABLE dq
