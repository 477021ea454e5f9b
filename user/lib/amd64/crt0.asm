; crt0 of amd64 user programs: _start, the ELF entry point.
;
; The kernel enters here in ring 3 (arch_enter_user, uentry.h) with RSP at
; the top of the user stack, 16-byte aligned, as the System V ABI AMD64
; supplement (3.4.1, "Initial Stack and Register State") has it, and main()'s
; two arguments already in RDI and RSI: spawn()'s argument and 0.
; main()'s return value goes to exit; exit does not return.
bits 64
default rel
section .text.start
global _start, initial_sp
extern main
_start:
    mov [initial_sp], rsp   ; the stack as the kernel gave it
    xor ebp, ebp            ; the outermost frame: a backtrace stops here
    and rsp, -16            ; the ABI's alignment at a call, whatever we were given
    call main wrt ..plt     ; PC-relative: the program lives above 4 GiB
    mov edi, eax            ; exit(status): SYSCALL, RAX = SYS_exit, RDI = status
    mov eax, 0              ; SYS_exit (user/lib/sysnum.h)
    syscall
.hang:
    jmp .hang               ; exit does not come back

; A thread's entry (sys::thread): RDI = its function, RSI = its argument, RSP
; the top of its own stack. Calls fn(arg) and passes the result to
; thread_exit, which does not return.
global thread_entry
thread_entry:
    xor ebp, ebp
    and rsp, -16
    mov rax, rdi
    mov rdi, rsi
    call rax                ; long fn(long arg)
    mov rdi, rax
    mov eax, 11             ; SYS_thread_exit (user/lib/sysnum.h)
    syscall
.hang:
    jmp .hang

section .bss
alignb 8
initial_sp: resb 8           ; also gives every program a data segment (user.ld)
