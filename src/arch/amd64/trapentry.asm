; Interrupt and exception entry stubs for amd64 (SDM Vol. 3A 6.14).
; The stubs come from trapstubs.inc (shared with the other arch); trap_common
; saves the general registers into a TrapFrame (trapframe.h) and calls trap_dispatch(frame).
;
; SWAPGS (docs/usermode.md): in ring 3, GS holds the user's base (0) and
; IA32_KERNEL_GS_BASE this CPU's block; the kernel needs the opposite, since
; this_cpu() reads GS:0. So every entry from ring 3 swaps them first and
; every return to ring 3 swaps them back last (SDM Vol. 2B SWAPGS). Which
; case an entry is, is read from the CS the CPU pushed, except for
;   - NMI, #DF and #MC, which can arrive between SYSCALL and its SWAPGS (or
;     between the exit's SWAPGS and SYSRETQ), in ring 0 with the user's GS:
;     they read IA32_GS_BASE itself, which is 0 only with the user's base;
;   - a fault of the IRETQ that returns to ring 3 (a bad frame, a
;     non-canonical RIP): raised in ring 0, after the exit's SWAPGS.
; RBX, callee-saved across trap_dispatch, remembers whether to swap back.
bits 64
section .text
extern trap_dispatch
global trap_common, user_iretq, trap_return_user

%include "trapstubs.inc"
%include "gprs.inc"

%define MSR_GS_BASE 0xC0000101
; Offsets in the frame once the 15 general registers are pushed (trapframe.h).
%define TF_VECTOR (15 * 8)
%define TF_RIP    (17 * 8)
%define TF_CS     (18 * 8)

TRAP_STUBS qword

trap_common:
    PUSH_GPRS
    xor ebx, ebx                ; 1: this entry swapped GS, the exit swaps back
    mov rax, [rsp + TF_VECTOR]
    cmp rax, 2                  ; NMI
    je .by_msr
    cmp rax, 8                  ; #DF
    je .by_msr
    cmp rax, 18                 ; #MC
    je .by_msr
    test byte [rsp + TF_CS], 3
    jnz .swap                   ; from ring 3
    lea rax, [rel user_iretq]
    cmp [rsp + TF_RIP], rax     ; the return to ring 3 faulted after its SWAPGS
    jne .go
    jmp .swap
.by_msr:
    mov ecx, MSR_GS_BASE
    rdmsr
    or eax, edx
    jnz .go                     ; a kernel base: GS is the kernel's already
.swap:
    swapgs
    mov ebx, 1
.go:
    mov rdi, rsp                ; 16-byte aligned: 22 quadwords above the CPU-aligned frame
    cld
    call trap_dispatch
    test ebx, ebx
    jnz trap_return_user
    POP_GPRS
    add rsp, 16                 ; vector and error code
    iretq

; Back to ring 3 through a TrapFrame at RSP (interrupts off): also the
; SYSCALL entry's way out when SYSRET may not be used.
trap_return_user:
    POP_GPRS
    add rsp, 16
    swapgs
user_iretq:
    iretq

section .rodata
TRAP_STUB_TABLE dq
