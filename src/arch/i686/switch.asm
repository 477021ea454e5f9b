; Context switch for i686 (cdecl: ebx, esi, edi, ebp are callee-saved).
;
;   void switch_context(uintptr_t* save_sp, uintptr_t new_sp)
;
; Pushes the callee-saved registers on the current stack, stores the stack
; pointer through save_sp, loads new_sp and pops the next thread's registers.
; The return address on each stack says where that thread goes on: back into
; its own call of switch_context, or thread_trampoline for a new thread.
bits 32
section .text
global switch_context, thread_trampoline
extern thread_bootstrap

switch_context:
    mov eax, [esp + 4]          ; save_sp
    mov edx, [esp + 8]          ; new_sp
    push ebp
    push ebx
    push esi
    push edi
    mov [eax], esp
    mov esp, edx
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

; A new thread's first "return" lands here, with its Thread* in ebx
; (planted by thread_create's initial frame).
thread_trampoline:
    xor ebp, ebp                ; the end of the frame-pointer chain
    push ebx
    call thread_bootstrap       ; never returns
    ud2
