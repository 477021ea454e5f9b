; Context switch for amd64 (System V ABI: rbx, rbp, r12-r15 are callee-saved).
;
;   void switch_context(uintptr_t* save_sp, uintptr_t new_sp)
;
; Pushes the callee-saved registers on the current stack, stores the stack
; pointer through save_sp, loads new_sp and pops the next thread's registers.
; The return address on each stack says where that thread goes on: back into
; its own call of switch_context, or thread_trampoline for a new thread.
bits 64
section .text
global switch_context, thread_trampoline
extern thread_bootstrap

; [switch]
switch_context:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
; [switch]

; A new thread's first "return" lands here, with its Thread* in r12
; (planted by thread_create's initial frame).
thread_trampoline:
    mov rdi, r12
    xor ebp, ebp                ; the end of the frame-pointer chain
    call thread_bootstrap       ; never returns
    ud2
